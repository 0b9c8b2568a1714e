"""Training: the corpora, the classifier and the default embedding model (``cli/train.py`` drives them)."""
