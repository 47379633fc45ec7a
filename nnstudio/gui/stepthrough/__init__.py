"""Step-through mode: one forward and backward pass shown step by step with real numbers.

walkthrough.py, steps.py, update_step.py, step.py, chain_rule.py, notation.py
and gradient_check.py compute what the mode shows and import no Qt. panel.py,
panel_parts.py, matrix_view.py and canvas_link.py are the widgets, and
install.install_stepthrough adds them to a main window.
"""
