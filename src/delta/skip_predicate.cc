// ParseSkippingPredicates (delta/stats.h): a token-level reading of a WHERE clause that keeps
// the conjuncts file skipping understands.

#include <cctype>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "delta/stats.h"
#include "delta/stats_internal.h"

namespace dlake::delta {
namespace {

using Op = ColumnPredicate::Op;
using LiteralKind = ColumnPredicate::LiteralKind;
using stats_internal::EqualsIgnoreCase;

struct Token {
  enum class Kind { kWord, kQuoted, kString, kNumber, kOp, kLParen, kRParen, kDot, kCast, kOther };
  Kind kind;
  std::string text;  // words as written; quotes removed from strings and quoted names; ops
                     // normalised to = != < <= > >=
  bool IsWord(std::string_view word) const {
    return kind == Kind::kWord && EqualsIgnoreCase(text, word);
  }
  bool Is(Kind k, std::string_view t) const { return kind == k && text == t; }
};
using Tokens = std::span<const Token>;

bool IsWordStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsWordChar(char c) {
  return IsWordStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

// Reads a quoted run starting at sql[i] == quote, doubled quotes standing for one.
std::optional<std::string> ReadQuoted(std::string_view sql, size_t& i, char quote) {
  std::string out;
  for (++i; i < sql.size(); ++i) {
    if (sql[i] != quote) {
      out += sql[i];
    } else if (i + 1 < sql.size() && sql[i + 1] == quote) {
      out += quote;
      ++i;
    } else {
      ++i;
      return out;
    }
  }
  return std::nullopt;
}

size_t ReadNumber(std::string_view sql, size_t i) {
  auto digits = [&] {
    while (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
  };
  digits();
  if (i < sql.size() && sql[i] == '.') ++i, digits();
  if (i < sql.size() && (sql[i] == 'e' || sql[i] == 'E')) {
    size_t j = i + 1;
    if (j < sql.size() && (sql[j] == '+' || sql[j] == '-')) ++j;
    if (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) i = j, digits();
  }
  return i;
}

// The tokens of `sql`, or nullopt when it holds something a token-level reading could get wrong
// (an unterminated quote, a comment, E'' or dollar-quoted strings).
std::optional<std::vector<Token>> Tokenize(std::string_view sql) {
  using Kind = Token::Kind;
  std::vector<Token> out;
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if ((c == '-' && next == '-') || (c == '/' && next == '*') || c == '$') {
      return std::nullopt;
    } else if (c == '\'' || c == '"') {
      std::optional<std::string> text = ReadQuoted(sql, i, c);
      if (!text) return std::nullopt;
      out.push_back({c == '\'' ? Kind::kString : Kind::kQuoted, std::move(*text)});
    } else if (IsWordStart(c)) {
      size_t end = i;
      while (end < sql.size() && IsWordChar(sql[end])) ++end;
      std::string word(sql.substr(i, end - i));
      // E'...' strings take backslash escapes, which would throw the quote matching off.
      if (end < sql.size() && sql[end] == '\'' && EqualsIgnoreCase(word, "e")) return std::nullopt;
      out.push_back({Kind::kWord, std::move(word)});
      i = end;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && std::isdigit(static_cast<unsigned char>(next)))) {
      size_t end = ReadNumber(sql, i);
      // 1_000, 0x1F, 12abc: not a plain number.
      Kind kind = end < sql.size() && IsWordChar(sql[end]) ? Kind::kOther : Kind::kNumber;
      out.push_back({kind, std::string(sql.substr(i, end - i))});
      i = end;
    } else {
      static constexpr std::pair<std::string_view, std::string_view> kOps[] = {
          {"<=", "<="}, {">=", ">="}, {"<>", "!="}, {"!=", "!="},
          {"==", "="},  {"=", "="},   {"<", "<"},   {">", ">"}};
      bool matched = false;
      for (const auto& [spelling, op] : kOps) {
        // "<=>" and "=>" / "->" style operators must not be read as a comparison.
        if (sql.substr(i, spelling.size()) == spelling) {
          const char after = i + spelling.size() < sql.size() ? sql[i + spelling.size()] : '\0';
          if (after == '>' || after == '=' || after == '<') break;
          out.push_back({Kind::kOp, std::string(op)});
          i += spelling.size();
          matched = true;
          break;
        }
      }
      if (matched) continue;
      if (c == ':' && next == ':') {
        out.push_back({Kind::kCast, "::"});
        i += 2;
        continue;
      }
      Kind kind = c == '('   ? Kind::kLParen
                  : c == ')' ? Kind::kRParen
                  : c == '.' ? Kind::kDot
                             : Kind::kOther;
      out.push_back({kind, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

// Nesting depth changes: parentheses and CASE ... END.
int DepthChange(const Token& t) {
  if (t.kind == Token::Kind::kLParen || t.IsWord("case")) return 1;
  if (t.kind == Token::Kind::kRParen || t.IsWord("end")) return -1;
  return 0;
}

bool Balanced(Tokens tokens) {
  int depth = 0;
  for (const Token& t : tokens) {
    depth += DepthChange(t);
    if (depth < 0) return false;
  }
  return depth == 0;
}

// Splits at top-level ANDs, leaving the AND of each BETWEEN ... AND ... in place.
std::vector<Tokens> SplitTopLevelAnd(Tokens tokens) {
  std::vector<Tokens> parts;
  int depth = 0;
  bool in_between = false;
  size_t start = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    depth += DepthChange(tokens[i]);
    if (depth != 0) continue;
    if (tokens[i].IsWord("between")) {
      in_between = true;
    } else if (tokens[i].IsWord("and")) {
      if (in_between) {
        in_between = false;
      } else {
        parts.push_back(tokens.subspan(start, i - start));
        start = i + 1;
      }
    }
  }
  parts.push_back(tokens.subspan(start));
  return parts;
}

bool HasTopLevelOr(Tokens tokens) {
  int depth = 0;
  for (const Token& t : tokens) {
    depth += DepthChange(t);
    if (depth == 0 && t.IsWord("or")) return true;
  }
  return false;
}

bool IsReserved(const Token& t) {
  static constexpr std::string_view kReserved[] = {
      "and",  "or",     "not",      "is",      "null", "true", "false", "between", "in",
      "like", "ilike",  "glob",     "similar", "case", "when", "then",  "else",    "end",
      "cast", "exists", "interval", "select",  "any",  "all",  "some",  "collate"};
  for (std::string_view word : kReserved) {
    if (t.IsWord(word)) return true;
  }
  return false;
}

// A cursor over one conjunct's tokens.
class ConjunctParser {
 public:
  explicit ConjunctParser(Tokens tokens) : tokens_(tokens) {}

  // The predicates of a whole conjunct in one of the understood forms; empty otherwise.
  std::vector<ColumnPredicate> Parse() {
    std::vector<ColumnPredicate> out;
    ColumnPredicate p;
    if (Column(p.column)) {
      if (AcceptWord("is")) {
        p.op = AcceptWord("not") ? Op::kIsNotNull : Op::kIsNull;
        if (!AcceptWord("null") || !AtEnd()) return {};
        return {p};
      }
      if (AcceptWord("between")) {
        ColumnPredicate high = p;
        p.op = Op::kGe;
        high.op = Op::kLe;
        if (!Literal(p) || !AcceptWord("and") || !Literal(high) || !AtEnd()) return {};
        return {p, high};
      }
      if (!Comparison(p.op) || !Literal(p) || !AtEnd()) return {};
      return {p};
    }
    pos_ = 0;
    if (!Literal(p) || !Comparison(p.op) || !Column(p.column) || !AtEnd()) return {};
    p.op = Flip(p.op);
    return {p};
  }

 private:
  using Kind = Token::Kind;

  bool AtEnd() const { return pos_ == tokens_.size(); }
  const Token* Peek(size_t ahead = 0) const {
    return pos_ + ahead < tokens_.size() ? &tokens_[pos_ + ahead] : nullptr;
  }
  bool AcceptWord(std::string_view word) {
    if (!Peek() || !Peek()->IsWord(word)) return false;
    ++pos_;
    return true;
  }
  bool Accept(Kind kind) {
    if (!Peek() || Peek()->kind != kind) return false;
    ++pos_;
    return true;
  }

  static Op Flip(Op op) {
    switch (op) {
      case Op::kLt:
        return Op::kGt;
      case Op::kLe:
        return Op::kGe;
      case Op::kGt:
        return Op::kLt;
      case Op::kGe:
        return Op::kLe;
      default:
        return op;
    }
  }

  bool Comparison(Op& op) {
    if (!Peek() || Peek()->kind != Kind::kOp) return false;
    const std::string& t = tokens_[pos_++].text;
    op = t == "="    ? Op::kEq
         : t == "!=" ? Op::kNe
         : t == "<"  ? Op::kLt
         : t == "<=" ? Op::kLe
         : t == ">"  ? Op::kGt
                     : Op::kGe;
    return true;
  }

  bool Name(std::string& out) {
    const Token* t = Peek();
    if (!t) return false;
    if (t->kind == Kind::kQuoted) {
      // "a.b" would read back as a path.
      if (t->text.empty() || t->text.find('.') != std::string::npos) return false;
    } else if (t->kind != Kind::kWord || IsReserved(*t) || IsTypedLiteralStart()) {
      return false;
    }
    out = t->text;
    ++pos_;
    return true;
  }

  bool Column(std::string& out) {
    if (!Name(out)) return false;
    while (Peek() && Peek()->kind == Kind::kDot) {
      ++pos_;
      std::string field;
      if (!Name(field)) return false;
      out += "." + field;
    }
    return true;
  }

  // DATE 'x', TIMESTAMP 'x', TIMESTAMP WITH TIME ZONE 'x', ...
  bool IsTypedLiteralStart() const {
    size_t ahead = 0;
    LiteralKind kind;
    return TypeNameAt(ahead, kind) && Peek(ahead) && Peek(ahead)->kind == Kind::kString;
  }

  // Reads a type name starting `ahead` tokens on; advances `ahead` past it.
  bool TypeNameAt(size_t& ahead, LiteralKind& kind) const {
    const Token* t = Peek(ahead);
    if (!t) return false;
    if (t->IsWord("date")) {
      kind = LiteralKind::kDate;
    } else if (t->IsWord("timestamptz")) {
      kind = LiteralKind::kTimestampTz;
    } else if (t->IsWord("timestamp") || t->IsWord("datetime")) {
      kind = LiteralKind::kTimestamp;
      const Token* with = Peek(ahead + 1);
      if (with && (with->IsWord("with") || with->IsWord("without"))) {
        if (!Peek(ahead + 2) || !Peek(ahead + 2)->IsWord("time") || !Peek(ahead + 3) ||
            !Peek(ahead + 3)->IsWord("zone")) {
          return false;
        }
        if (with->IsWord("with")) kind = LiteralKind::kTimestampTz;
        ahead += 3;
      }
    } else if (t->IsWord("varchar") || t->IsWord("text") || t->IsWord("string")) {
      kind = LiteralKind::kString;
    } else {
      return false;
    }
    ++ahead;
    return true;
  }

  bool TypeName(LiteralKind& kind) {
    size_t ahead = 0;
    if (!TypeNameAt(ahead, kind)) return false;
    pos_ += ahead;
    return true;
  }

  bool Literal(ColumnPredicate& p) {
    const Token* t = Peek();
    if (!t) return false;
    if (t->kind == Kind::kNumber) {
      p.literal = t->text;
      p.literal_kind = LiteralKind::kNumber;
      ++pos_;
      return true;
    }
    if ((t->Is(Kind::kOther, "-") || t->Is(Kind::kOther, "+")) && Peek(1) &&
        Peek(1)->kind == Kind::kNumber) {
      p.literal = (t->text == "-" ? "-" : "") + Peek(1)->text;
      p.literal_kind = LiteralKind::kNumber;
      pos_ += 2;
      return true;
    }
    if (t->IsWord("true") || t->IsWord("false")) {
      p.literal = t->IsWord("true") ? "true" : "false";
      p.literal_kind = LiteralKind::kBoolean;
      ++pos_;
      return true;
    }
    if (t->kind == Kind::kString) {
      p.literal = t->text;
      p.literal_kind = LiteralKind::kString;
      ++pos_;
      if (Accept(Kind::kCast)) return TypeName(p.literal_kind);
      return true;
    }
    if (t->IsWord("cast")) {  // CAST('text' AS type)
      ++pos_;
      if (!Accept(Kind::kLParen) || !Peek() || Peek()->kind != Kind::kString) return false;
      p.literal = tokens_[pos_++].text;
      return AcceptWord("as") && TypeName(p.literal_kind) && Accept(Kind::kRParen);
    }
    if (TypeName(p.literal_kind)) {
      if (!Peek() || Peek()->kind != Kind::kString) return false;
      p.literal = tokens_[pos_++].text;
      return true;
    }
    return false;
  }

  Tokens tokens_;
  size_t pos_ = 0;
};

void ParseConjunction(Tokens tokens, std::vector<ColumnPredicate>& out) {
  if (!Balanced(tokens) || HasTopLevelOr(tokens)) return;
  for (Tokens conjunct : SplitTopLevelAnd(tokens)) {
    if (conjunct.empty()) continue;
    // Parentheses around the whole conjunct: look inside.
    if (conjunct.front().kind == Token::Kind::kLParen &&
        conjunct.back().kind == Token::Kind::kRParen &&
        Balanced(conjunct.subspan(1, conjunct.size() - 2))) {
      ParseConjunction(conjunct.subspan(1, conjunct.size() - 2), out);
      continue;
    }
    for (ColumnPredicate& p : ConjunctParser(conjunct).Parse()) out.push_back(std::move(p));
  }
}

}  // namespace

std::vector<ColumnPredicate> ParseSkippingPredicates(std::string_view where) {
  std::vector<ColumnPredicate> out;
  std::optional<std::vector<Token>> tokens = Tokenize(where);
  if (tokens) ParseConjunction(*tokens, out);
  return out;
}

}  // namespace dlake::delta
