"""RDKit's own answer to benchmark queries, by brute force over zinc250k, to settle disagreements.

    /usr/bin/python3 bench/search/rdkit_check.py SET QUERY_ID [QUERY_ID ...] \
        [--data ../shared/data] [--dump DIR]

SET is one of the benchmark's sets (leads, frags, fragqueries, rlewis, similarity-0.7,
similarity-0.5, similarity-top10). Every database SMILES is parsed with MolFromSmiles, then:
  substructure  mol.HasSubstructMatch(query, useChirality=False), the query parsed with
                MolFromSmiles (SMILES sets) or MolFromSmarts (rlewis)
  similarity    Morgan radius 2, 2048 bits (GetMorganFingerprintAsBitVect), Tanimoto from
                DataStructs.BulkTanimotoSimilarity; threshold sets keep score >= T, top10 keeps
                the 10 best by score, then by id
Prints per query the hit count and the digest that engine_hits.csv and cartridge_hits.csv use
(first 16 hex digits of the SHA-256 of the sorted ids joined by '\\n'); for similarity also the
scores at the edge (closest to the threshold, or the 10th and 11th best). With --dump, writes
the hit ids of each query to DIR/SET.QUERY_ID.txt.
"""

import argparse
import gzip
import hashlib
import os

from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import AllChem

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = {
    "leads": "zinc_leads_500.smi",
    "frags": "zinc_frags_500.smi",
    "fragqueries": "fragqueries.smi",
    "rlewis": "smarts_rlewis.txt",
    "similarity-0.7": "similarity_500.smi",
    "similarity-0.5": "similarity_500.smi",
    "similarity-top10": "similarity_500.smi",
}


def digest(ids):
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def read_lines(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                fields = line.split("\t")
                yield fields[0], fields[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set", choices=FILES)
    parser.add_argument("query_ids", nargs="+")
    parser.add_argument("--data", default=os.path.join(HERE, "..", "..", "..", "shared", "data"))
    parser.add_argument("--dump")
    args = parser.parse_args()
    RDLogger.DisableLog("rdApp.*")

    queries = {}
    for text, query_id in read_lines(os.path.join(args.data, "queries", FILES[args.set])):
        queries.setdefault(query_id, text)
    missing = [q for q in args.query_ids if q not in queries]
    if missing:
        parser.error(f"not in {FILES[args.set]}: {missing}")

    ids, mols = [], []
    for smiles, mol_id in read_lines(os.path.join(args.data, "zinc250k.smi.gz")):
        ids.append(mol_id)
        mols.append(Chem.MolFromSmiles(smiles))
    print(f"{len(mols)} database molecules parsed")

    results = {}
    if args.set.startswith("similarity"):
        fps = [AllChem.GetMorganFingerprintAsBitVect(m, 2, nBits=2048) for m in mols]
        for query_id in args.query_ids:
            query = AllChem.GetMorganFingerprintAsBitVect(
                Chem.MolFromSmiles(queries[query_id]), 2, nBits=2048)
            scores = DataStructs.BulkTanimotoSimilarity(query, fps)
            ranked = sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))
            if args.set == "similarity-top10":
                hits = ranked[:10]
                edge = ", ".join(f"{ids[i]} {scores[i]!r}" for i in ranked[8:12])
                note = f"ranks 9-12: {edge}"
            else:
                threshold = float(args.set.split("-")[1])
                hits = [i for i in ranked if scores[i] >= threshold]
                close = sorted(ranked, key=lambda i: abs(scores[i] - threshold))[:3]
                note = "closest to the threshold: " + ", ".join(
                    f"{ids[i]} {scores[i]!r}" for i in close)
            results[query_id] = [ids[i] for i in hits]
            print(f"{args.set} {query_id}: {len(hits)} hits, digest "
                  f"{digest(results[query_id])}; {note}")
    else:
        for query_id in args.query_ids:
            text = queries[query_id]
            query = Chem.MolFromSmarts(text) if args.set == "rlewis" else Chem.MolFromSmiles(text)
            hits = [mol_id for mol_id, mol in zip(ids, mols)
                    if mol.HasSubstructMatch(query, useChirality=False)]
            results[query_id] = hits
            print(f"{args.set} {query_id}: {len(hits)} hits, digest {digest(hits)}")

    if args.dump:
        os.makedirs(args.dump, exist_ok=True)
        for query_id, hits in results.items():
            with open(os.path.join(args.dump, f"{args.set}.{query_id}.txt"), "w",
                      encoding="utf-8") as f:
                f.write("".join(f"{h}\n" for h in sorted(hits)))


if __name__ == "__main__":
    main()
