"""The vocabulary: the normaliser over the knowledge base and the review queue (:mod:`app.vocabulary.service`)."""
