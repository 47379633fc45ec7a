"""The nnstudio document: network drawing, dataset, settings, weights, history. No Qt."""
