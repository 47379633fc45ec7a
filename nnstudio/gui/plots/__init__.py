"""Live pyqtgraph plots: the loss curve and the decision boundary."""
