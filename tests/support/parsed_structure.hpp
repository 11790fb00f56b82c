#pragma once
// parse_or_die: a structure the test knows to be valid. A SMILES that does not parse fails the
// test (and methane stands in, so the test can go on to report more).

#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "chem/structure.hpp"

namespace molvault::test {

inline chem::Structure parse_or_die(const std::string& smiles) {
    auto parsed = chem::parse_smiles(smiles);
    if (!parsed) {
        ADD_FAILURE() << smiles << ": " << parsed.error().message;
        return std::move(chem::parse_smiles("C").value());
    }
    return std::move(parsed).value();
}

}  // namespace molvault::test
