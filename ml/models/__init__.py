"""Disease models: scikit-learn-style estimators over the knowledge base and the warehouse."""

from ml.models.knowledge import KnowledgeModel, select_beta_strength
from ml.models.likelihood import propagate_max, term_likelihood

__all__ = ["KnowledgeModel", "propagate_max", "select_beta_strength", "term_likelihood"]
