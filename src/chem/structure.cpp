#include "chem/structure.hpp"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <GraphMol/Depictor/RDDepictor.h>
#include <GraphMol/Descriptors/Crippen.h>
#include <GraphMol/Descriptors/Lipinski.h>
#include <GraphMol/Descriptors/MolDescriptors.h>
#include <GraphMol/Descriptors/MolSurf.h>
#include <GraphMol/FileParsers/FileParsers.h>
#include <GraphMol/MolHash/MolHash.h>
#include <GraphMol/MolOps.h>
#include <GraphMol/MolPickler.h>
#include <GraphMol/RWMol.h>
#include <GraphMol/SmilesParse/SmilesParse.h>
#include <GraphMol/SmilesParse/SmilesWrite.h>
#include <RDGeneral/Exceptions.h>
#include <RDGeneral/FileParseException.h>
#include <RDGeneral/Invariant.h>
#include <RDGeneral/RDLog.h>

#include "chem/structure_impl.hpp"

namespace molvault::chem {
namespace {

// A client sees at most this much of RDKit's text (it may quote a 10,000-character input).
constexpr std::size_t kMaxMessageLength = 300;
constexpr std::string_view kInvariantMessage = "RDKit could not process this structure";

// ---------------------------------------------------------------------------------------------
// RDKit's parse errors. SmilesToMol reports a syntax error only by writing to the process-global
// rdErrorLog and returning nullptr. We install one permanent sink for that log whose stream
// buffer appends to a per-thread string while an ErrorCapture is alive on the thread, and drops
// the text otherwise. So each parse sees exactly its own messages even when several threads
// fail at once, no SMILES ever reaches stderr (STYLE §2.9), nothing is re-parsed and no mutex
// is taken. The log's std::ostream object itself is shared: two threads failing at the same
// instant both reset its width field to 0, a benign race RDKit's own std::cerr sink would have
// too. (rdErrorLog is null until someone installs a logger: RDKit logs nothing then.)

// The calling thread's capture buffer, or null when no ErrorCapture is alive on it.
std::string*& error_sink() {
    // Per-thread by design: RDKit's log is global, the capture must not be.
    // NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables)
    thread_local std::string* sink = nullptr;
    return sink;
}

class ThreadRoutedBuffer final : public std::streambuf {
protected:
    int_type overflow(int_type ch) override {
        if (error_sink() != nullptr && !traits_type::eq_int_type(ch, traits_type::eof())) {
            error_sink()->push_back(traits_type::to_char_type(ch));
        }
        return traits_type::not_eof(ch);
    }
    std::streamsize xsputn(const char* text, std::streamsize count) override {
        if (error_sink() != nullptr) {
            error_sink()->append(text, static_cast<std::size_t>(count));
        }
        return count;
    }
};

// Owns the sink; installed once, on first parse. Its destructor (at exit) detaches the logger
// before the stream it points to goes away.
class ErrorLogSink {
public:
    ErrorLogSink() { rdErrorLog = std::make_shared<boost::logging::rdLogger>(&stream_); }
    ~ErrorLogSink() { rdErrorLog.reset(); }
    ErrorLogSink(const ErrorLogSink&) = delete;
    ErrorLogSink& operator=(const ErrorLogSink&) = delete;

private:
    ThreadRoutedBuffer buffer_;
    std::ostream stream_{&buffer_};
};

void install_error_log_sink() {
    static const ErrorLogSink sink;  // thread-safe initialisation; the only RDKit log we touch
}

// Usage: { ErrorCapture capture; auto* m = RDKit::SmilesToMol(...); capture.message(); }
class ErrorCapture {
public:
    ErrorCapture() : previous_(error_sink()) {
        install_error_log_sink();
        error_sink() = &text_;
    }
    ~ErrorCapture() { error_sink() = previous_; }
    ErrorCapture(const ErrorCapture&) = delete;
    ErrorCapture& operator=(const ErrorCapture&) = delete;

    // The captured lines without their "[hh:mm:ss] " prefix, duplicates dropped, joined by
    // "; " and shortened; `fallback` when RDKit said nothing.
    [[nodiscard]] std::string message(std::string_view fallback) const;

private:
    std::string* previous_;
    std::string text_;
};

bool has_timestamp_prefix(std::string_view line) {
    // "[hh:mm:ss] "
    constexpr std::size_t kPrefixLength = 11;
    if (line.size() < kPrefixLength || line[0] != '[' || line[9] != ']' || line[10] != ' ') {
        return false;
    }
    for (const std::size_t i : {1, 2, 4, 5, 7, 8}) {
        if (line[i] < '0' || line[i] > '9') {
            return false;
        }
    }
    return line[3] == ':' && line[6] == ':';
}

std::string shorten(std::string text) {
    if (text.size() > kMaxMessageLength) {
        text.resize(kMaxMessageLength - 3);
        text += "...";
    }
    return text;
}

std::string ErrorCapture::message(std::string_view fallback) const {
    std::vector<std::string_view> lines;
    std::string_view rest = text_;
    while (!rest.empty()) {
        const auto end = rest.find('\n');
        auto line = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        if (has_timestamp_prefix(line)) {
            line.remove_prefix(11);
        }
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.remove_suffix(1);
        }
        if (!line.empty() && std::find(lines.begin(), lines.end(), line) == lines.end()) {
            lines.push_back(line);
        }
    }
    if (lines.empty()) {
        return std::string(fallback);
    }
    std::string joined;
    for (const auto line : lines) {
        if (!joined.empty()) {
            joined += "; ";
        }
        joined += line;
    }
    return shorten(std::move(joined));
}

// ---------------------------------------------------------------------------------------------
// Input checks done before RDKit sees the text.

std::optional<ChemError> check_text(
    std::string_view text, std::size_t max_length, std::string_view what, bool allow_line_breaks
) {
    const std::string name(what);
    if (text.empty()) {
        return ChemError{ChemError::kEmpty, name + " is empty", std::nullopt};
    }
    if (text.size() > max_length) {
        return ChemError{
            ChemError::kTooLong,
            name + " is longer than " + std::to_string(max_length) + " characters",
            std::nullopt};
    }
    bool blank = true;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        const bool line_break = byte == '\n' || byte == '\r' || byte == '\t';
        if (byte >= 0x80) {
            // SMILES and MOL files are ASCII; refusing other bytes also keeps the error text
            // (which quotes the input) valid UTF-8 for JSON.
            return ChemError{
                ChemError::kSyntax,
                name + " contains a non-ASCII byte at position " + std::to_string(i),
                std::nullopt};
        }
        if ((byte < 0x20 || byte == 0x7f) && !(allow_line_breaks && line_break)) {
            return ChemError{
                ChemError::kSyntax,
                name + " contains a control character at position " + std::to_string(i),
                std::nullopt};
        }
        if (byte != ' ' && !line_break) {
            blank = false;
        }
    }
    if (blank) {
        return ChemError{ChemError::kEmpty, name + " is empty", std::nullopt};
    }
    return std::nullopt;
}

// A MOL record's atom line takes at least this many bytes (V3000: "M  V30 1 C 0 0 0 0"), so
// only a longer record can hold too many atoms.
constexpr std::size_t kMinAtomLineBytes = 16;

// kTooLong when the parsed (not yet sanitized) molecule has more than max_atoms heavy atoms.
std::optional<ChemError> check_atom_count(
    const RDKit::ROMol& mol, std::size_t max_atoms, std::string_view what
) {
    const std::size_t atoms = mol.getNumHeavyAtoms();
    if (atoms <= max_atoms) {
        return std::nullopt;
    }
    return ChemError{
        ChemError::kTooLong,
        std::string(what) + " has " + std::to_string(atoms) + " heavy atoms, more than " +
            std::to_string(max_atoms),
        std::nullopt};
}

// Runs an RDKit parser and maps its ways of failing to ChemError.
template <class Parse>
Expected<std::unique_ptr<RDKit::RWMol>, ChemError> run_parser(
    Parse&& parse, std::string_view syntax_fallback
) {
    const ErrorCapture capture;
    try {
        std::unique_ptr<RDKit::RWMol> mol(std::forward<Parse>(parse)());
        if (!mol) {
            return Unexpected(ChemError{
                ChemError::kSyntax, capture.message(syntax_fallback), std::nullopt});
        }
        return mol;
    } catch (const RDKit::MolSanitizeException& e) {
        return Unexpected(error_from_sanitize(e));
    } catch (const RDKit::SmilesParseException& e) {
        return Unexpected(ChemError{ChemError::kSyntax, shorten(e.what()), std::nullopt});
    } catch (const RDKit::FileParseException& e) {
        return Unexpected(ChemError{ChemError::kSyntax, shorten(e.what()), std::nullopt});
    } catch (const ValueErrorException& e) {
        return Unexpected(ChemError{ChemError::kSyntax, shorten(e.what()), std::nullopt});
    } catch (const Invar::Invariant&) {
        // Its text names RDKit source files; the input still is what RDKit could not handle.
        return Unexpected(ChemError{ChemError::kOther, std::string(kInvariantMessage), {}});
    }
}

Expected<Structure, ChemError> to_structure(
    Expected<std::unique_ptr<RDKit::RWMol>, ChemError> parsed
) {
    if (!parsed) {
        return Unexpected(parsed.error());
    }
    return StructureAccess::make(std::move(parsed).value());
}

}  // namespace

ChemError error_from_sanitize(const RDKit::MolSanitizeException& e) {
    std::string message = shorten(e.what());
    if (const auto* valence = dynamic_cast<const RDKit::AtomValenceException*>(&e)) {
        return {ChemError::kValence, std::move(message), static_cast<int>(valence->getAtomIdx())};
    }
    if (const auto* atom = dynamic_cast<const RDKit::AtomKekulizeException*>(&e)) {
        return {ChemError::kKekulize, std::move(message), static_cast<int>(atom->getAtomIdx())};
    }
    if (const auto* kekulize = dynamic_cast<const RDKit::KekulizeException*>(&e)) {
        const auto& atoms = kekulize->getAtomIndices();
        std::optional<int> first;
        if (!atoms.empty()) {
            first = static_cast<int>(atoms.front());
        }
        return {ChemError::kKekulize, std::move(message), first};
    }
    if (const auto* atom = dynamic_cast<const RDKit::AtomSanitizeException*>(&e)) {
        return {ChemError::kOther, std::move(message), static_cast<int>(atom->getAtomIdx())};
    }
    return {ChemError::kOther, std::move(message), std::nullopt};
}

Structure::Structure(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Expected<std::unique_ptr<RDKit::RWMol>, ChemError> parse_smiles_mol(
    std::string_view smiles, const ParseOptions& options, StereoPerception stereo
) {
    if (auto error = check_text(smiles, options.max_smiles_length, "SMILES", false)) {
        return Unexpected(std::move(*error));
    }
    const std::string text(smiles);
    // Every atom takes at least one character: only a longer SMILES can have too many.
    if (text.size() > options.max_atoms) {
        RDKit::SmilesParserParams unsanitized;
        unsanitized.sanitize = false;
        unsanitized.removeHs = false;
        auto graph = run_parser(
            [&text, &unsanitized] { return RDKit::SmilesToMol(text, unsanitized); },
            "SMILES Parse Error: could not parse"
        );
        if (!graph) {
            return graph;
        }
        if (auto error = check_atom_count(**graph, options.max_atoms, "SMILES")) {
            return Unexpected(std::move(*error));
        }
    }
    RDKit::SmilesParserParams params;
    params.useLegacyStereo = stereo == StereoPerception::kLegacy;
    return run_parser(
        [&text, &params] { return RDKit::SmilesToMol(text, params); },
        "SMILES Parse Error: could not parse"
    );
}

Expected<Structure, ChemError> parse_smiles(std::string_view smiles, const ParseOptions& options) {
    return to_structure(parse_smiles_mol(smiles, options));
}

Expected<std::unique_ptr<RDKit::RWMol>, ChemError> parse_smarts(
    std::string_view smarts, const ParseOptions& options
) {
    if (auto error = check_text(smarts, options.max_smiles_length, "SMARTS", false)) {
        return Unexpected(std::move(*error));
    }
    const std::string text(smarts);
    return run_parser(
        [&text] { return RDKit::SmartsToMol(text); }, "SMARTS Parse Error: could not parse"
    );
}

Expected<Structure, ChemError> parse_molblock(
    std::string_view molblock, const ParseOptions& options
) {
    if (auto error = check_text(molblock, options.max_molblock_length, "mol block", true)) {
        return Unexpected(std::move(*error));
    }
    const std::string text(molblock);
    if (text.size() > options.max_atoms * kMinAtomLineBytes) {
        auto graph = run_parser(
            [&text] {
                const bool sanitize = false;
                const bool remove_hs = false;
                return RDKit::MolBlockToMol(text, sanitize, remove_hs);
            },
            "mol block could not be parsed"
        );
        if (!graph) {
            return Unexpected(graph.error());
        }
        if (auto error = check_atom_count(**graph, options.max_atoms, "mol block")) {
            return Unexpected(std::move(*error));
        }
    }
    return to_structure(
        run_parser([&text] { return RDKit::MolBlockToMol(text); }, "mol block could not be parsed")
    );
}

std::string Structure::canonical_smiles() const {
    return with_mol(*this, [this](const RDKit::ROMol& mol) {
        if (!impl_->canonical_smiles) {
            impl_->canonical_smiles = RDKit::MolToSmiles(mol);
        }
        return *impl_->canonical_smiles;
    });
}

std::string Structure::no_stereo_smiles() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        RDKit::RWMol copy(mol);
        RDKit::MolOps::removeStereochemistry(copy);
        return RDKit::MolToSmiles(copy);
    });
}

std::string Structure::tautomer_hash() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        RDKit::RWMol copy(mol);  // MolHash modifies its argument
        return RDKit::MolHash::MolHash(&copy, RDKit::MolHash::HashFunction::HetAtomTautomer);
    });
}

std::optional<std::string> Structure::inchi() const {
    return with_mol(*this, [this](const RDKit::ROMol& mol) -> std::optional<std::string> {
        if (!impl_->inchi) {
            impl_->inchi = compute_inchi(mol);
        }
        if (!*impl_->inchi) {
            return std::nullopt;
        }
        return (*impl_->inchi)->inchi;
    });
}

std::optional<std::string> Structure::inchikey() const {
    return with_mol(*this, [this](const RDKit::ROMol& mol) -> std::optional<std::string> {
        if (!impl_->inchi) {
            impl_->inchi = compute_inchi(mol);
        }
        if (!*impl_->inchi) {
            return std::nullopt;
        }
        return (*impl_->inchi)->key;
    });
}

std::string Structure::formula() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        return RDKit::Descriptors::calcMolFormula(mol);
    });
}

double Structure::average_mass() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        return RDKit::Descriptors::calcAMW(mol);
    });
}

double Structure::exact_mass() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        return RDKit::Descriptors::calcExactMW(mol);
    });
}

int Structure::heavy_atom_count() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        return static_cast<int>(mol.getNumHeavyAtoms());
    });
}

double Structure::clogp() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        return RDKit::Descriptors::calcClogP(mol);
    });
}

double Structure::tpsa() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        return RDKit::Descriptors::calcTPSA(mol);
    });
}

int Structure::hbd() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        return static_cast<int>(RDKit::Descriptors::calcNumHBD(mol));
    });
}

int Structure::hba() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        return static_cast<int>(RDKit::Descriptors::calcNumHBA(mol));
    });
}

int Structure::rotatable_bonds() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        return static_cast<int>(RDKit::Descriptors::calcNumRotatableBonds(mol));
    });
}

std::string Structure::molblock() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        RDKit::RWMol copy(mol);
        if (copy.getNumConformers() == 0) {
            RDDepict::compute2DCoords(copy);
        }
        return RDKit::MolToMolBlock(copy);
    });
}

std::string Structure::to_pickle() const {
    return with_mol(*this, [](const RDKit::ROMol& mol) {
        std::string pickle;
        RDKit::MolPickler::pickleMol(mol, pickle, RDKit::PicklerOps::NoConformers);
        return pickle;
    });
}

Expected<Structure, ChemError> Structure::from_pickle(std::string_view pickle) {
    if (pickle.empty()) {
        return Unexpected(ChemError{ChemError::kEmpty, "pickle is empty", std::nullopt});
    }
    try {
        auto mol = std::make_unique<RDKit::ROMol>();
        RDKit::MolPickler::molFromPickle(std::string(pickle), *mol);
        return StructureAccess::make(std::move(mol));
    } catch (const RDKit::MolPicklerException&) {
        return Unexpected(ChemError{
            ChemError::kSyntax, "not a valid RDKit molecule pickle", std::nullopt});
    }
}

}  // namespace molvault::chem
