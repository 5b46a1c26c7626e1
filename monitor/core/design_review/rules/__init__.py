"""One design rule a module; :data:`ALL_RULES` in :mod:`monitor.core.design_review.review`."""
