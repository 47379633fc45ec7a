"""The network canvas: layers, neurons and weighted connections on a QGraphicsScene."""
