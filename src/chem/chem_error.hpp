#pragma once
// ChemError: why a structure could not be read or processed. A plain value type returned in
// Expected<..., ChemError> by the chem/ functions: a bad structure is input, not a fault.
// `message` is safe to show the client: it is RDKit's own description of the problem (without
// its "[hh:mm:ss] " log prefix) or a fixed text of ours, never a file path or stack trace. It may
// quote (part of) the client's own input. Thread-safety: a value; no shared state.

#include <optional>
#include <string>

#include "common/error.hpp"

namespace molvault::chem {

struct ChemError {
    enum Kind {
        kEmpty,     // nothing to parse (empty or only whitespace)
        kTooLong,   // longer than the configured limit
        kSyntax,    // not a SMILES / mol block, control or non-ASCII bytes, unknown element
        kValence,   // an atom has more bonds than its valence allows (atom_index set)
        kKekulize,  // aromatic system without a valid Kekulé form (atom_index: first atom)
        kOther,     // any other sanitization or processing failure
    };
    Kind kind = kOther;
    std::string message;
    std::optional<int> atom_index;  // 0-based, in input order, where RDKit names one
};

// A stable lower-case name for the kind ("syntax", "valence", ...), for API error codes.
[[nodiscard]] constexpr const char* kind_name(ChemError::Kind kind) {
    switch (kind) {
        case ChemError::kEmpty:
            return "empty";
        case ChemError::kTooLong:
            return "too_long";
        case ChemError::kSyntax:
            return "syntax";
        case ChemError::kValence:
            return "valence";
        case ChemError::kKekulize:
            return "kekulize";
        case ChemError::kOther:
            return "other";
    }
    return "other";
}

// The 422 for a structure given in request field `field` that could not be read: the kind as
// the field error's code, RDKit's message, and the atom where RDKit names one.
[[nodiscard]] inline Error structure_error(std::string field, const ChemError& error) {
    return Error(
        ErrorCode::kValidation,
        "The request is invalid",
        {FieldError{std::move(field), error.message, kind_name(error.kind), error.atom_index}}
    );
}

}  // namespace molvault::chem
