#include "molecules/molecule_file.hpp"

#include "common/text.hpp"

namespace molvault::molecules {
namespace {

std::string_view trim_spaces(std::string_view text) {
    constexpr std::string_view kSpaces = " \t";
    const auto first = text.find_first_not_of(kSpaces);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(kSpaces) - first + 1);
}

}  // namespace

std::optional<MoleculeFileFormat> molecule_file_format_from_name(std::string_view file_name) {
    const auto dot = file_name.rfind('.');
    const auto extension =
        ascii_lower(dot == std::string_view::npos ? file_name : file_name.substr(dot + 1));
    if (extension == "sdf" || extension == "sd" || extension == "mol") {
        return MoleculeFileFormat::kSdf;
    }
    if (extension == "smi" || extension == "smiles") {
        return MoleculeFileFormat::kSmiles;
    }
    if (extension == "csv") {
        return MoleculeFileFormat::kCsv;
    }
    return std::nullopt;
}

std::optional<MoleculeFileFormat> molecule_file_format_from_content_type(
    std::string_view content_type
) {
    const auto media_type =
        ascii_lower(trim_spaces(content_type.substr(0, content_type.find(';'))));
    if (media_type == "chemical/x-mdl-sdfile") {
        return MoleculeFileFormat::kSdf;
    }
    if (media_type == "chemical/x-daylight-smiles") {
        return MoleculeFileFormat::kSmiles;
    }
    if (media_type == "text/csv") {
        return MoleculeFileFormat::kCsv;
    }
    return std::nullopt;
}

std::string_view molecule_file_extension(MoleculeFileFormat format) {
    switch (format) {
        case MoleculeFileFormat::kSdf:
            return "sdf";
        case MoleculeFileFormat::kSmiles:
            return "smi";
        case MoleculeFileFormat::kCsv:
            return "csv";
    }
    return {};
}

std::string_view molecule_file_content_type(MoleculeFileFormat format) {
    switch (format) {
        case MoleculeFileFormat::kSdf:
            return "chemical/x-mdl-sdfile";
        case MoleculeFileFormat::kSmiles:
            return "chemical/x-daylight-smiles";
        case MoleculeFileFormat::kCsv:
            return "text/csv";
    }
    return {};
}

}  // namespace molvault::molecules
