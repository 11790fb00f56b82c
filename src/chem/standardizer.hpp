#pragma once
// standardize(): the parent structure of a registration, with RDKit MolStandardize. The steps
// are RDKit's chargeParent: cleanup (remove explicit H, disconnect metals, normalize functional
// groups, reionize, assign stereo), keep the largest fragment (drops counter-ions, salts and
// solvents), neutralize (uncharge), cleanup again. So "aspirin sodium salt" and aspirin have
// the same parent. Stereo and isotopes are kept; tautomers are not canonicalized.
//
// Thread-safety: safe to call from any number of threads. RDKit's standardizer objects are not
// thread-safe and cost about 0.5 ms to build (they compile their SMARTS rules), so each call
// borrows a prepared set from a small internal pool (one set per concurrent caller, built on
// first need) instead of building them per call (about 3x slower) or sharing one under a lock
// (which serializes callers).
//
// Errors: returns ChemError (kValence, kKekulize, kOther) when a step cannot sanitize its
// result; never throws for a bad structure. A standardization takes about 1 ms for a typical
// NCI molecule (3-5 ms with RDKit's per-call chargeParent).

#include "chem/chem_error.hpp"
#include "chem/structure.hpp"
#include "common/expected.hpp"

namespace molvault::chem {

struct Standardized {
    Structure parent;
    bool changed = false;  // the parent's canonical SMILES differs from the input's
};

[[nodiscard]] Expected<Standardized, ChemError> standardize(const Structure& input);

}  // namespace molvault::chem
