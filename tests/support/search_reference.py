"""Brute-force RDKit reference for the search index tests (tests/unit/chem_search_*).

No screening, no index: every query is matched against every molecule with RDKit's own
HasSubstructMatch, and every similarity is computed with DataStructs.TanimotoSimilarity, so the
engine's screens and pruning are checked against plain RDKit.

Usage: /usr/bin/python3 search_reference.py MOLECULES < QUERIES > ANSWERS
  MOLECULES: one SMILES per line; a molecule's number is its 0-based line number.
  QUERIES:   one per line, "KIND<TAB>OPTION<TAB>TEXT":
               substructure: KIND "smiles" or "smarts", OPTION "chiral" or "achiral"
               similarity:   KIND "similarity", OPTION the Tanimoto threshold
  ANSWERS:   one line per query: the matching molecule numbers in ascending order, separated by
             spaces (similarity: "number:score" with score printed by repr); "error" when the
             query does not parse.
"""

import sys

from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import rdMolDescriptors

MORGAN_RADIUS = 2
MORGAN_BITS = 2048


def main():
    RDLogger.DisableLog("rdApp.*")
    with open(sys.argv[1]) as f:
        molecules = [Chem.MolFromSmiles(line.rstrip("\n")) for line in f]
    fingerprints = None
    out = sys.stdout
    for line in sys.stdin:
        kind, option, text = line.rstrip("\n").split("\t", 2)
        if kind == "similarity":
            if fingerprints is None:
                fingerprints = [
                    rdMolDescriptors.GetMorganFingerprintAsBitVect(m, MORGAN_RADIUS, MORGAN_BITS)
                    for m in molecules
                ]
            query = Chem.MolFromSmiles(text)
            if query is None:
                out.write("error\n")
                continue
            threshold = float(option)
            qfp = rdMolDescriptors.GetMorganFingerprintAsBitVect(query, MORGAN_RADIUS, MORGAN_BITS)
            scores = DataStructs.BulkTanimotoSimilarity(qfp, fingerprints)
            out.write(" ".join(f"{i}:{s!r}" for i, s in enumerate(scores) if s >= threshold))
            out.write("\n")
            continue
        query = Chem.MolFromSmiles(text) if kind == "smiles" else Chem.MolFromSmarts(text)
        if query is None:
            out.write("error\n")
            continue
        chiral = option == "chiral"
        hits = [
            str(i) for i, m in enumerate(molecules) if m.HasSubstructMatch(query, useChirality=chiral)
        ]
        out.write(" ".join(hits))
        out.write("\n")


if __name__ == "__main__":
    main()
