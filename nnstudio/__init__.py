"""nnstudio: draw a feed-forward neural network, train it live and watch it learn."""

__version__ = "0.1.0"
