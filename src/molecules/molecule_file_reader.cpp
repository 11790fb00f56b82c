#include "molecules/molecule_file_reader.hpp"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/text.hpp"

namespace molvault::molecules {
namespace {

// How much input is read at a time; the only buffer besides the current line and record.
constexpr std::size_t kReadChunkBytes = std::size_t{64} * 1024;
constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";
constexpr std::string_view kSdfRecordEnd = "$$$$";
constexpr std::string_view kMolBlockEnd = "M  END";
// A MOL block's header is three lines (name, program, comment); "M  END" can only come after.
constexpr std::size_t kMolHeaderLines = 3;
// The writer's guard against spreadsheet formulas puts a quote before these (see the writer).
constexpr std::string_view kFormulaTriggers = "=+-@\t\r";

std::string_view trim(std::string_view text) {
    constexpr std::string_view kSpaces = " \t";
    const auto first = text.find_first_not_of(kSpaces);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(kSpaces) - first + 1);
}

std::string_view trim_right(std::string_view text) {
    const auto last = text.find_last_not_of(" \t");
    return last == std::string_view::npos ? std::string_view{} : text.substr(0, last + 1);
}

// Valid UTF-8 without NUL bytes, which no database text column takes.
bool is_valid_text(std::string_view text) {
    return text.find('\0') == std::string_view::npos && decode_utf8(text).has_value();
}

// A MOL block is ASCII by the CTfile spec, but names and comments in its header lines are
// often UTF-8; control characters other than TAB are never meaningful in it.
bool is_molblock_line(std::string_view line) {
    const bool has_control = std::any_of(line.begin(), line.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20U && c != '\t') || byte == 0x7FU;
    });
    return !has_control && decode_utf8(line).has_value();
}

// A SMILES is printable ASCII without spaces; anything else is garbage, not chemistry.
bool is_smiles_text(std::string_view smiles) {
    return std::all_of(smiles.begin(), smiles.end(), [](char c) { return c > ' ' && c < '\x7F'; });
}

std::string_view undo_formula_guard(std::string_view cell) {
    if (cell.size() >= 2 && cell[0] == '\'' &&
        kFormulaTriggers.find(cell[1]) != std::string::npos) {
        cell.remove_prefix(1);
    }
    return cell;
}

// Reads lines of at most `max_line_bytes` through a fixed read buffer. A longer line is cut
// there and flagged; its rest is skipped. A failed stream (bad()) ends the lines.
class LineSource {
public:
    struct Line {
        std::string_view text;  // without "\n" or "\r\n"; valid until the next call
        std::size_t number = 0;
        bool too_long = false;
    };

    LineSource(std::istream& in, std::size_t max_line_bytes)
        : in_(in), max_line_bytes_(max_line_bytes), buffer_(kReadChunkBytes), failed_(in.fail()) {}

    // The next line, or std::nullopt at the end of input or after a stream failure.
    std::optional<Line> next() {
        line_.clear();
        bool too_long = false;
        bool any = false;
        while (true) {
            if (begin_ == end_ && !fill()) {
                if (!any) {
                    return std::nullopt;
                }
                break;  // the last line has no line end
            }
            any = true;
            const char* const start = buffer_.data() + begin_;
            const auto available = end_ - begin_;
            const auto* const newline =
                static_cast<const char*>(std::memchr(start, '\n', available));
            const auto length =
                newline == nullptr ? available : static_cast<std::size_t>(newline - start);
            const auto room = max_line_bytes_ - std::min(max_line_bytes_, line_.size());
            too_long = too_long || length > room;
            line_.append(start, std::min(length, room));
            begin_ += length;
            if (newline != nullptr) {
                ++begin_;
                break;
            }
        }
        if (!line_.empty() && line_.back() == '\r') {
            line_.pop_back();
        }
        std::string_view text = line_;
        if (number_ == 0 && text.starts_with(kUtf8ByteOrderMark)) {
            text.remove_prefix(kUtf8ByteOrderMark.size());
        }
        return Line{text, ++number_, too_long};
    }

    [[nodiscard]] bool failed() const { return failed_; }

private:
    bool fill() {
        if (failed_ || eof_) {
            return false;
        }
        in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
        begin_ = 0;
        end_ = static_cast<std::size_t>(in_.gcount());
        if (in_.bad()) {
            failed_ = true;
            end_ = 0;
            return false;
        }
        eof_ = !in_;
        return end_ > 0;
    }

    std::istream& in_;
    std::size_t max_line_bytes_;
    std::vector<char> buffer_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    bool eof_ = false;
    bool failed_;
    std::size_t number_ = 0;
    std::string line_;
};

// Checks a record's name and properties against the limits; the first problem, if any.
std::optional<std::string> check_name(
    const std::optional<std::string>& name, const MoleculeFileLimits& limits
) {
    if (!name) {
        return std::nullopt;
    }
    if (name->size() > limits.max_name_bytes) {
        return fmt::format("the name is longer than {} bytes", limits.max_name_bytes);
    }
    if (!is_valid_text(*name)) {
        return "the name is not valid UTF-8 text";
    }
    return std::nullopt;
}

std::optional<std::string> check_smiles(std::string_view smiles, const MoleculeFileLimits& limits) {
    if (smiles.empty()) {
        return "the record has no SMILES";
    }
    if (smiles.size() > limits.max_smiles_bytes) {
        return fmt::format("the SMILES is longer than {} bytes", limits.max_smiles_bytes);
    }
    if (!is_smiles_text(smiles)) {
        return "the SMILES contains a character that is not printable ASCII";
    }
    return std::nullopt;
}

// Adds one property, or says why it cannot be added.
std::optional<std::string> add_property(
    MoleculeProperties& properties,
    std::string_view key,
    std::string_view value,
    const MoleculeFileLimits& limits
) {
    if (key.empty()) {
        return "a property has an empty name";
    }
    if (key.size() > limits.max_property_key_bytes) {
        return fmt::format(
            "a property name is longer than {} bytes", limits.max_property_key_bytes
        );
    }
    if (!is_valid_text(key)) {
        return "a property name is not valid UTF-8 text";
    }
    if (value.size() > limits.max_property_value_bytes) {
        return fmt::format(
            "property '{}' is longer than {} bytes", key, limits.max_property_value_bytes
        );
    }
    if (!is_valid_text(value)) {
        return fmt::format("property '{}' is not valid UTF-8 text", key);
    }
    if (properties.size() >= limits.max_properties) {
        return fmt::format("the record has more than {} properties", limits.max_properties);
    }
    if (!properties.emplace(key, value).second) {
        return fmt::format("property '{}' is given twice", key);
    }
    return std::nullopt;
}

}  // namespace

// Turns lines into records for one format. next() numbers the records and turns a stream
// failure into the error that ends reading.
class MoleculeFileReader::Parser {
public:
    Parser(std::istream& in, const MoleculeFileLimits& limits)
        : limits_(limits), lines_(in, limits.max_record_bytes) {}
    Parser(const Parser&) = delete;
    Parser& operator=(const Parser&) = delete;
    virtual ~Parser() = default;

    std::optional<MoleculeFileReadResult> next() {
        if (done_) {
            return std::nullopt;
        }
        auto result = read_record();
        if (lines_.failed()) {
            done_ = true;
            return fail_reading(0, "the input could not be read");
        }
        done_ = !result || (!result->has_value() && result->error().ends_reading);
        return result;
    }

protected:
    // The next record or record error, std::nullopt at the end of input. A record error gets
    // its number from error(); a record from record().
    virtual std::optional<MoleculeFileReadResult> read_record() = 0;

    MoleculeFileReadResult record(
        std::size_t line_number,
        MoleculeStructureKind kind,
        std::string structure,
        std::optional<std::string> name,
        MoleculeProperties properties
    ) {
        return MoleculeFileRecord{
            ++record_count_,
            line_number,
            kind,
            std::move(structure),
            std::move(name),
            std::move(properties),
        };
    }

    MoleculeFileReadResult error(std::size_t line_number, std::string message) {
        return Unexpected(MoleculeFileError{++record_count_, line_number, std::move(message)});
    }

    static MoleculeFileReadResult fail_reading(std::size_t line_number, std::string message) {
        return Unexpected(MoleculeFileError{0, line_number, std::move(message), true});
    }

    [[nodiscard]] std::string line_too_long() const {
        return fmt::format("a line is longer than {} bytes", limits_.max_record_bytes);
    }

    const MoleculeFileLimits limits_;
    LineSource lines_;

private:
    std::size_t record_count_ = 0;
    bool done_ = false;
};

namespace {

class SmilesParser final : public MoleculeFileReader::Parser {
public:
    using Parser::Parser;

private:
    std::optional<MoleculeFileReadResult> read_record() override {
        while (const auto line = lines_.next()) {
            if (line->too_long) {
                return error(line->number, line_too_long());
            }
            const auto text = trim(line->text);
            if (text.empty() || text.front() == '#') {
                continue;
            }
            const auto split = text.find_first_of(" \t");
            const auto smiles = text.substr(0, split);
            const bool first_data_line = !seen_data_line_;
            seen_data_line_ = true;
            if (first_data_line && ascii_lower(smiles) == "smiles") {
                continue;  // a header line such as "smiles name" or "SMILES\tName"
            }
            std::optional<std::string> name;
            if (split != std::string_view::npos) {
                name = std::string(trim(text.substr(split)));
            }
            if (auto problem = check_smiles(smiles, limits_)) {
                return error(line->number, std::move(*problem));
            }
            if (auto problem = check_name(name, limits_)) {
                return error(line->number, std::move(*problem));
            }
            return record(
                line->number, MoleculeStructureKind::kSmiles, std::string(smiles), name, {}
            );
        }
        return std::nullopt;
    }

    bool seen_data_line_ = false;
};

class SdfParser final : public MoleculeFileReader::Parser {
public:
    using Parser::Parser;

private:
    // What one record has gathered so far. After its first problem the rest of the record is
    // read but not kept, so the next call starts at the next record.
    struct Record {
        std::size_t first_line = 0;
        std::string molblock;
        std::size_t block_lines = 0;
        bool block_ended = false;
        std::optional<std::string> name;
        MoleculeProperties properties;
        std::optional<std::string> problem;

        void note(std::string message) {
            if (!problem) {
                problem = std::move(message);
            }
        }
    };

    // Reads one record to its "$$$$" line or the end of input.
    std::optional<MoleculeFileReadResult> read_record() override {
        Record record;
        bool blank_so_far = true;
        bool record_ended = false;
        while (!record_ended) {
            const auto line = lines_.next();
            if (!line) {
                break;
            }
            if (record.first_line == 0) {
                record.first_line = line->number;
            }
            blank_so_far = blank_so_far && trim(line->text).empty();
            if (line->too_long) {
                record.note(line_too_long());
            }
            if (line->text.starts_with(kSdfRecordEnd)) {
                record_ended = true;
            } else if (record.block_ended) {
                record_ended = read_data_item(*line, record);
            } else {
                add_block_line(line->text, record);
            }
        }
        if (record.first_line == 0 || (blank_so_far && !record_ended)) {
            return std::nullopt;  // end of input, perhaps after some blank lines
        }
        if (!record.block_ended) {
            record.note("the SDF record has no \"M  END\" line");
        }
        if (auto problem = check_name(record.name, limits_)) {
            record.note(std::move(*problem));
        }
        if (record.problem) {
            return error(record.first_line, std::move(*record.problem));
        }
        return this->record(
            record.first_line,
            MoleculeStructureKind::kMolBlock,
            std::move(record.molblock),
            std::move(record.name),
            std::move(record.properties)
        );
    }

    void add_block_line(std::string_view line, Record& record) const {
        const auto index = record.block_lines++;
        if (index == 0 && !trim(line).empty()) {
            record.name = std::string(trim(line));
        }
        if (record.problem) {
            return;
        }
        if (record.molblock.size() + line.size() + 1 > limits_.max_record_bytes) {
            record.note(
                fmt::format("the MOL block is longer than {} bytes", limits_.max_record_bytes)
            );
            return;
        }
        if (!is_molblock_line(line)) {
            record.note("the MOL block has a control character or is not valid UTF-8 text");
            return;
        }
        record.molblock.append(line);
        record.molblock.push_back('\n');
        record.block_ended = index >= kMolHeaderLines && trim_right(line) == kMolBlockEnd;
    }

    // Handles one line after "M  END": a data item header reads the item's value lines too,
    // after which `header` no longer points at its text.
    // Other lines (blank lines between items, stray text) are ignored. True when the value ran
    // into the "$$$$" that ends the record.
    bool read_data_item(const LineSource::Line& header, Record& record) {
        if (!header.text.starts_with('>')) {
            return false;
        }
        const auto open = header.text.find('<');
        const auto close = open == std::string_view::npos ? open : header.text.find('>', open);
        if (close == std::string_view::npos) {
            record.note(fmt::format("the data item header on line {} has no <name>", header.number)
            );
        }
        // A copy: `header` points into the line buffer, which the value's lines reuse.
        const auto key = close == std::string_view::npos
                             ? std::string()
                             : std::string(header.text.substr(open + 1, close - open - 1));
        std::string value;
        bool value_too_long = false;
        const bool record_ended = read_data_value(value, value_too_long, record);
        if (record.problem) {
            return record_ended;
        }
        if (value_too_long) {
            record.note(fmt::format(
                "property '{}' is longer than {} bytes", key, limits_.max_property_value_bytes
            ));
        } else if (auto problem = add_property(record.properties, key, value, limits_)) {
            record.note(std::move(*problem));
        }
        return record_ended;
    }

    // Reads value lines up to a blank line or "$$$$", joined by "\n"; keeps at most the value
    // limit. True when "$$$$" ended it.
    bool read_data_value(std::string& value, bool& too_long, Record& record) {
        bool first = true;
        while (const auto line = lines_.next()) {
            if (line->text.starts_with(kSdfRecordEnd)) {
                return true;
            }
            if (trim(line->text).empty()) {
                return false;
            }
            if (line->too_long) {
                record.note(line_too_long());
            }
            const auto added = line->text.size() + (first ? 0 : 1);
            too_long = too_long || value.size() + added > limits_.max_property_value_bytes;
            if (!too_long) {
                if (!first) {
                    value.push_back('\n');
                }
                value.append(line->text);
            }
            first = false;
        }
        return false;
    }
};

// The RFC 4180 state machine for one row, fed the row's characters line by line. Once the row
// is known to be bad it stops keeping text but still tracks quotes, to find the row's end.
class CsvRowSplitter {
public:
    void feed(char c) {
        switch (state_) {
            case State::kFieldStart:
            case State::kUnquoted:
                if (c == ',') {
                    end_field();
                } else if (c == '"' && state_ == State::kFieldStart) {
                    state_ = State::kQuoted;
                } else {
                    if (c == '"') {
                        fail("a field has a quote but does not start with one");
                    }
                    keep(c);
                    state_ = State::kUnquoted;
                }
                break;
            case State::kQuoted:
                if (c == '"') {
                    state_ = State::kQuoteInQuoted;
                } else {
                    keep(c);
                }
                break;
            case State::kQuoteInQuoted:
                if (c == '"') {
                    keep('"');
                    state_ = State::kQuoted;
                } else if (c == ',') {
                    end_field();
                } else {
                    fail("a quoted field has text after its closing quote");
                    state_ = State::kUnquoted;
                }
                break;
        }
    }

    // Ends a physical line; true when that ends the row too (no quoted field is open).
    bool end_line() {
        if (state_ == State::kQuoted) {
            keep('\n');  // a line break inside quotes belongs to the field
            return false;
        }
        end_field();
        return true;
    }

    void fail(std::string message) {
        if (!problem_) {
            problem_ = std::move(message);
        }
        fields_.clear();
        field_.clear();
    }

    [[nodiscard]] std::vector<std::string> take_fields() { return std::move(fields_); }
    [[nodiscard]] std::optional<std::string> take_problem() { return std::move(problem_); }

private:
    enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };

    void keep(char c) {
        if (!problem_) {
            field_.push_back(c);
        }
    }

    void end_field() {
        if (!problem_) {
            fields_.push_back(std::move(field_));
        }
        field_.clear();
        state_ = State::kFieldStart;
    }

    State state_ = State::kFieldStart;
    std::string field_;
    std::vector<std::string> fields_;
    std::optional<std::string> problem_;
};

class CsvParser final : public MoleculeFileReader::Parser {
public:
    using Parser::Parser;

private:
    struct Row {
        std::vector<std::string> fields;
        std::size_t line_number = 0;
        std::optional<std::string> problem;
    };

    enum class Column { kIgnored, kSmiles, kName, kPropertiesJson, kProperty };

    std::optional<MoleculeFileReadResult> read_record() override {
        if (!header_read_) {
            header_read_ = true;
            auto header = read_row();
            if (!header) {
                return std::nullopt;  // empty input: no header and no records
            }
            if (auto problem = read_header(*header)) {
                return fail_reading(header->line_number, std::move(*problem));
            }
        }
        auto row = read_row();
        if (!row) {
            return std::nullopt;
        }
        if (row->problem) {
            return error(row->line_number, std::move(*row->problem));
        }
        return to_record(*row);
    }

    // Splits the next non-empty row into fields. A malformed row is still read to its end, so
    // the next row starts in the right place; its problem is noted in the row.
    std::optional<Row> read_row() {
        CsvRowSplitter splitter;
        std::size_t first_line = 0;
        std::size_t bytes = 0;
        bool ended = false;
        while (!ended) {
            const auto line = lines_.next();
            if (!line) {
                break;
            }
            if (first_line == 0 && line->text.empty()) {
                continue;  // blank lines between rows
            }
            if (first_line == 0) {
                first_line = line->number;
            }
            bytes += line->text.size() + 1;
            if (line->too_long || bytes > limits_.max_record_bytes) {
                splitter.fail(
                    fmt::format("the row is longer than {} bytes", limits_.max_record_bytes)
                );
            }
            if (line->too_long) {
                break;  // the rest of the line is lost, so is any open quote: resume after it
            }
            for (const char c : line->text) {
                splitter.feed(c);
            }
            ended = splitter.end_line();
        }
        if (first_line == 0) {
            return std::nullopt;
        }
        if (!ended) {
            splitter.fail("a quoted field is not closed before the end of the file");
        }
        return Row{splitter.take_fields(), first_line, splitter.take_problem()};
    }

    // Maps the header's columns; the problem that makes the file unreadable, if any.
    std::optional<std::string> read_header(const Row& header) {
        if (header.problem) {
            return fmt::format("the CSV header row is malformed: {}", *header.problem);
        }
        std::optional<std::size_t> smiles;
        std::optional<std::size_t> canonical_smiles;
        MoleculeProperties seen;  // lower-cased name → original, to catch duplicates
        for (std::size_t i = 0; i < header.fields.size(); ++i) {
            const auto title = trim(header.fields[i]);
            keys_.emplace_back(title);
            const auto lower = ascii_lower(title);
            if (title.empty()) {
                columns_.push_back(Column::kIgnored);
                continue;
            }
            if (title.size() > limits_.max_property_key_bytes || !is_valid_text(title)) {
                return fmt::format(
                    "CSV column {} has a name that is not UTF-8 or longer than {} bytes",
                    i + 1,
                    limits_.max_property_key_bytes
                );
            }
            const bool special = lower == "smiles" || lower == "canonical_smiles" ||
                                 lower == kNameColumn || lower == kPropertiesColumn;
            const auto& key = special ? lower : keys_.back();
            if (!seen.emplace(key, title).second) {
                return fmt::format("the CSV header names column '{}' twice", title);
            }
            if (lower == "smiles") {
                smiles = i;
            } else if (lower == "canonical_smiles") {
                canonical_smiles = i;
            }
            if (lower == kNameColumn) {
                columns_.push_back(Column::kName);
            } else if (lower == kPropertiesColumn) {
                columns_.push_back(Column::kPropertiesJson);
            } else {
                columns_.push_back(Column::kProperty);
            }
        }
        if (!smiles && !canonical_smiles) {
            return "the CSV header has no 'smiles' column (nor 'canonical_smiles')";
        }
        columns_[smiles ? *smiles : *canonical_smiles] = Column::kSmiles;
        return std::nullopt;
    }

    MoleculeFileReadResult to_record(const Row& row) {
        if (row.fields.size() > columns_.size()) {
            return error(
                row.line_number,
                fmt::format(
                    "the row has {} fields but the header has {}",
                    row.fields.size(),
                    columns_.size()
                )
            );
        }
        std::string_view smiles;
        std::optional<std::string> name;
        MoleculeProperties properties;
        for (std::size_t i = 0; i < row.fields.size(); ++i) {
            const auto cell = undo_formula_guard(row.fields[i]);
            std::optional<std::string> problem;
            switch (columns_[i]) {
                case Column::kIgnored:
                    break;
                case Column::kSmiles:
                    smiles = trim(cell);
                    break;
                case Column::kName:
                    if (!trim(cell).empty()) {
                        name = std::string(trim(cell));
                    }
                    break;
                case Column::kPropertiesJson:
                    problem = add_json_properties(properties, cell);
                    break;
                case Column::kProperty:
                    if (!cell.empty()) {
                        problem = add_property(properties, keys_[i], cell, limits_);
                    }
                    break;
            }
            if (problem) {
                return error(row.line_number, std::move(*problem));
            }
        }
        auto problem = check_smiles(smiles, limits_);
        if (!problem) {
            problem = check_name(name, limits_);
        }
        if (problem) {
            return error(row.line_number, std::move(*problem));
        }
        return record(
            row.line_number,
            MoleculeStructureKind::kSmiles,
            std::string(smiles),
            std::move(name),
            std::move(properties)
        );
    }

    std::optional<std::string> add_json_properties(
        MoleculeProperties& properties, std::string_view cell
    ) const {
        if (cell.empty()) {
            return std::nullopt;
        }
        const auto json = nlohmann::json::parse(cell, nullptr, false);
        if (!json.is_object()) {
            return "column 'properties' must hold a JSON object (rename the column to import it "
                   "as a plain property)";
        }
        for (const auto& [key, value] : json.items()) {
            if (!value.is_string()) {
                return fmt::format("property '{}' in column 'properties' is not a string", key);
            }
            if (auto problem =
                    add_property(properties, key, value.get_ref<const std::string&>(), limits_)) {
                return problem;
            }
        }
        return std::nullopt;
    }

    bool header_read_ = false;
    std::vector<Column> columns_;
    std::vector<std::string> keys_;  // each column's trimmed header
};

}  // namespace

MoleculeFileReader::MoleculeFileReader(
    std::istream& in, MoleculeFileFormat format, MoleculeFileLimits limits
) {
    switch (format) {
        case MoleculeFileFormat::kSdf:
            parser_ = std::make_unique<SdfParser>(in, limits);
            break;
        case MoleculeFileFormat::kSmiles:
            parser_ = std::make_unique<SmilesParser>(in, limits);
            break;
        case MoleculeFileFormat::kCsv:
            parser_ = std::make_unique<CsvParser>(in, limits);
            break;
    }
}

MoleculeFileReader::MoleculeFileReader(MoleculeFileReader&&) noexcept = default;
MoleculeFileReader& MoleculeFileReader::operator=(MoleculeFileReader&&) noexcept = default;
MoleculeFileReader::~MoleculeFileReader() = default;

std::optional<MoleculeFileReadResult> MoleculeFileReader::next() { return parser_->next(); }

}  // namespace molvault::molecules
