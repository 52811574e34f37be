#include "lang/expr.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

#include "base/strings.h"

namespace medic {

struct ExprNode {
  enum Kind { kLiteral, kPath, kNot, kAnd, kOr, kCompare } kind;
  Json literal;
  std::string path;
  std::string op;
  std::shared_ptr<const ExprNode> lhs, rhs;
};

namespace {

using NodePtr = std::shared_ptr<const ExprNode>;

struct Token {
  enum Kind { kEnd, kString, kNumber, kIdent, kOp, kLParen, kRParen } kind;
  std::string text;
  size_t pos;
  Json value;  // kString, kNumber
};

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }

// The tokenizer and parser of every dialect. Errors are placed by At().
class Reader {
 public:
  Reader(const std::string& text, const ExprDialect& d, std::vector<std::string>* paths)
      : s_(text), d_(d), paths_(paths) {}

  Result<NodePtr> Run() {
    MEDIC_RETURN_IF_ERROR(Lex());
    auto e = ParseOr();
    if (!e.ok()) return e;
    if (Peek().kind != Token::kEnd) return Unexpected("'and', 'or' or the end");
    return e;
  }

 private:
  // An error about what starts at `pos` (0-based): "HEAD at character N TAIL", or
  // "WHAT 'TEXT', column N: HEAD TAIL".
  Status At(size_t pos, const std::string& head, const std::string& tail = "") const {
    std::string n = std::to_string(pos + 1);
    if (d_.what.empty()) return Status::Invalid(head + " at character " + n + tail);
    return Status::Invalid(d_.what + " '" + s_ + "', column " + n + ": " + head + tail);
  }
  Status Unexpected(const std::string& expected) const {
    const Token& t = Peek();
    std::string got = t.kind == Token::kEnd ? "the end" : "'" + t.text + "'";
    return At(t.pos, "expected " + expected, ", " + d_.found + " " + got);
  }

  Status Lex() {
    size_t i = 0;
    while (i < s_.size()) {
      char c = s_[i];
      size_t start = i;
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (d_.quoted_strings && (c == '\'' || c == '"')) {
        std::string value;
        ++i;
        while (i < s_.size() && s_[i] != c) {
          if (s_[i] == '\\' && i + 1 < s_.size()) ++i;
          value += s_[i++];
        }
        if (i >= s_.size()) return At(start, "unterminated string starting");
        ++i;
        tokens_.push_back({Token::kString, value, start, Json(value)});
      } else if (d_.templates && c == '{' && i + 1 < s_.size() && s_[i + 1] == '{') {
        size_t end = s_.find("}}", i + 2);
        if (end == std::string::npos) return At(start, "unterminated '{{'");
        auto ref = ParseRef(std::string_view(s_).substr(i + 2, end - i - 2));
        if (!ref.ok()) return ref.status();
        if (!ref->filter.empty())
          return At(start, "'| " + ref->filter +
                               "' escapes a value inside text; a condition compares values as "
                               "they are");
        tokens_.push_back({Token::kIdent, ref->path, start, {}});
        i = end + 2;
      } else if (StartsNumber(i)) {
        MEDIC_RETURN_IF_ERROR(LexNumber(&i));
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        MEDIC_RETURN_IF_ERROR(LexWord(&i));
      } else if (c == '(' || c == ')') {
        tokens_.push_back({c == '(' ? Token::kLParen : Token::kRParen, std::string(1, c), i++, {}});
      } else if (c == '=' || c == '!' || c == '<' || c == '>' ||
                 (d_.symbolic_logic && (c == '&' || c == '|'))) {
        std::string op(1, c);
        if (i + 1 < s_.size() && (s_[i + 1] == '=' || ((c == '&' || c == '|') && s_[i + 1] == c)))
          op += s_[i + 1];
        i += op.size();
        if (op == "=" || (op == "!" && !d_.symbolic_logic))
          return At(start, "'" + op + "'", d_.equals_hint);
        if (op == "&" || op == "|")
          return At(start, "'" + op + "'", " is not an operator (use 'and', 'or')");
        if (op == "&&" || op == "||" || op == "!") {
          tokens_.push_back({Token::kIdent,
                             op == "&&"   ? "and"
                             : op == "||" ? "or"
                                          : "not",
                             start,
                             {}});
        } else {
          tokens_.push_back({Token::kOp, op, start, {}});
        }
      } else {
        return At(start, std::string("unexpected '") + c + "'");
      }
    }
    tokens_.push_back({Token::kEnd, "", s_.size(), {}});
    return Status::Ok();
  }

  bool StartsNumber(size_t i) const {
    char c = s_[i];
    if (IsDigit(c)) return true;
    if (d_.float_numbers) return c == '.' || c == '-' || c == '+';
    return c == '-' && i + 1 < s_.size() && IsDigit(s_[i + 1]);
  }

  Status LexNumber(size_t* i) {
    size_t start = *i;
    if (d_.float_numbers) {
      const char* begin = s_.c_str() + start;
      char* end = nullptr;
      double v = std::strtod(begin, &end);
      if (end == begin) return At(start, "expected a number");
      *i += static_cast<size_t>(end - begin);
      tokens_.push_back({Token::kNumber, s_.substr(start, *i - start), start, Json(v)});
      return Status::Ok();
    }
    ++*i;
    while (*i < s_.size() && (IsDigit(s_[*i]) || s_[*i] == '.')) ++*i;
    std::string text = s_.substr(start, *i - start);
    Json value;
    try {
      value = text.find('.') == std::string::npos ? Json(std::stoll(text)) : Json(std::stod(text));
    } catch (...) {
      return Status::Invalid("'" + text + "' is not a number");
    }
    tokens_.push_back({Token::kNumber, text, start, value});
    return Status::Ok();
  }

  Status LexWord(size_t* i) {
    size_t start = *i;
    auto word_char = [&](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ||
             (d_.words.empty() && (ch == '.' || ch == '-'));
    };
    while (*i < s_.size() && word_char(s_[*i])) ++*i;
    std::string word = s_.substr(start, *i - start);
    if (d_.float_numbers && (word == "NaN" || word == "Inf" || word == "inf")) {
      double v = word == "NaN" ? std::numeric_limits<double>::quiet_NaN()
                               : std::numeric_limits<double>::infinity();
      tokens_.push_back({Token::kNumber, word, start, Json(v)});
      return Status::Ok();
    }
    if (!d_.words.empty() && !IsKeyword(word) &&
        std::find(d_.words.begin(), d_.words.end(), word) == d_.words.end())
      return At(start, "unknown word '" + word + "'", d_.unknown_word_hint);
    tokens_.push_back({Token::kIdent, word, start, {}});
    return Status::Ok();
  }

  static bool IsKeyword(const std::string& w) { return w == "and" || w == "or" || w == "not"; }
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_++]; }
  bool IsWord(const char* w) const { return Peek().kind == Token::kIdent && Peek().text == w; }

  static NodePtr Node(ExprNode::Kind kind, NodePtr l, NodePtr r, std::string op = "") {
    auto n = std::make_shared<ExprNode>();
    n->kind = kind;
    n->lhs = std::move(l);
    n->rhs = std::move(r);
    n->op = std::move(op);
    return n;
  }

  Result<NodePtr> ParseBinary(ExprNode::Kind kind, const char* word,
                              Result<NodePtr> (Reader::*next)()) {
    auto l = (this->*next)();
    if (!l.ok()) return l;
    NodePtr node = *l;
    while (IsWord(word)) {
      Next();
      auto r = (this->*next)();
      if (!r.ok()) return r;
      node = Node(kind, node, *r);
    }
    return node;
  }
  Result<NodePtr> ParseOr() { return ParseBinary(ExprNode::kOr, "or", &Reader::ParseAnd); }
  Result<NodePtr> ParseAnd() { return ParseBinary(ExprNode::kAnd, "and", &Reader::ParseNot); }

  Result<NodePtr> ParseNot() {
    if (IsWord("not")) {
      Next();
      auto inner = ParseNot();
      if (!inner.ok()) return inner;
      return Node(ExprNode::kNot, *inner, nullptr);
    }
    if (!d_.groups_are_values && Peek().kind == Token::kLParen) return ParseGroup();
    return ParseCompare();
  }

  Result<NodePtr> ParseGroup() {
    Next();
    auto inner = ParseOr();
    if (!inner.ok()) return inner;
    if (Peek().kind != Token::kRParen) return Unexpected("')'");
    Next();
    return inner;
  }

  Result<NodePtr> ParseCompare() {
    auto l = ParseAtom();
    if (!l.ok()) return l;
    if (Peek().kind != Token::kOp) {
      if (d_.comparisons_only) return Unexpected("a comparison (< <= > >= == !=)");
      return l;
    }
    std::string op = Next().text;
    auto r = ParseAtom();
    if (!r.ok()) return r;
    if (!d_.comparison_needs.empty() && (*l)->kind != ExprNode::kPath &&
        (*r)->kind != ExprNode::kPath)
      return At(tokens_[pos_ - 1].pos, d_.comparison_needs);
    return Node(ExprNode::kCompare, *l, *r, op);
  }

  Result<NodePtr> ParseAtom() {
    const Token& t = Peek();
    auto n = std::make_shared<ExprNode>();
    n->kind = ExprNode::kLiteral;
    switch (t.kind) {
      case Token::kLParen:
        if (d_.groups_are_values) return ParseGroup();
        return Unexpected(d_.value_expected);
      case Token::kString:
      case Token::kNumber:
        n->literal = Next().value;
        return NodePtr(n);
      case Token::kIdent: {
        std::string word = t.text;
        if (IsKeyword(word)) return Unexpected(d_.value_expected);
        Next();
        if (d_.words.empty() && word == "true") {
          n->literal = true;
        } else if (d_.words.empty() && word == "false") {
          n->literal = false;
        } else if (d_.words.empty() && word == "null") {
          n->literal = nullptr;
        } else {
          if (d_.words.empty() && (!IsValidPath(word) || word.find('.') == std::string::npos))
            return At(t.pos, "'" + word + "'",
                      " is not a value: quote strings ('" + word +
                          "') and name data by path (params." + word + ")");
          n->kind = ExprNode::kPath;
          n->path = word;
          paths_->push_back(word);
        }
        return NodePtr(n);
      }
      default:
        return Unexpected(d_.value_expected);
    }
  }

  const std::string& s_;
  const ExprDialect& d_;
  std::vector<std::string>* paths_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

std::optional<double> AsNumber(const Json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.empty()) return std::nullopt;
    try {
      size_t pos;
      double d = std::stod(s, &pos);
      if (pos == s.size()) return d;
    } catch (...) {
    }
  }
  return std::nullopt;
}

bool Compare(const std::string& op, const Json& a, const Json& b) {
  auto na = AsNumber(a), nb = AsNumber(b);
  // Numbers compare as numbers when both sides are numeric and at least one is a number
  // literal or value, so "10" < 9 is false; two strings compare as strings. Numbers compare
  // as IEEE doubles: NaN is unequal to everything.
  if (na && nb && (a.is_number() || b.is_number())) {
    double l = *na, r = *nb;
    if (op == "==") return l == r;
    if (op == "!=") return l != r;
    if (op == "<") return l < r;
    if (op == "<=") return l <= r;
    if (op == ">") return l > r;
    return l >= r;
  }
  if (op != "==" && op != "!=" && (a.is_null() || b.is_null())) return false;
  std::string sa = ValueText(a), sb = ValueText(b);
  int cmp = sa < sb ? -1 : (sa > sb ? 1 : 0);
  if (op == "==") return cmp == 0;
  if (op == "!=") return cmp != 0;
  if (op == "<") return cmp < 0;
  if (op == "<=") return cmp <= 0;
  if (op == ">") return cmp > 0;
  return cmp >= 0;
}

Result<Json> Eval(const ExprNode& n, const Resolver& resolve) {
  switch (n.kind) {
    case ExprNode::kLiteral:
      return n.literal;
    case ExprNode::kPath: {
      auto v = resolve(n.path);
      if (!v.ok() && v.status().code() == Code::kNotFound) return Json(nullptr);
      return v;
    }
    case ExprNode::kNot: {
      auto v = Eval(*n.lhs, resolve);
      if (!v.ok()) return v;
      return Json(!Truthy(*v));
    }
    case ExprNode::kAnd:
    case ExprNode::kOr: {
      auto l = Eval(*n.lhs, resolve);
      if (!l.ok()) return l;
      bool lt = Truthy(*l);
      if (n.kind == ExprNode::kAnd && !lt) return Json(false);
      if (n.kind == ExprNode::kOr && lt) return Json(true);
      auto r = Eval(*n.rhs, resolve);
      if (!r.ok()) return r;
      return Json(Truthy(*r));
    }
    case ExprNode::kCompare: {
      auto l = Eval(*n.lhs, resolve);
      if (!l.ok()) return l;
      auto r = Eval(*n.rhs, resolve);
      if (!r.ok()) return r;
      return Json(Compare(n.op, *l, *r));
    }
  }
  return Status::Internal("bad expression node");
}

}  // namespace

bool Truthy(const Json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return !s.empty() && s != "false" && s != "0";
  }
  return !v.empty();
}

Result<Expr> Expr::Parse(const std::string& text) {
  static const ExprDialect kWhen;
  if (Trim(text).empty()) return Status::Invalid("empty expression");
  return Parse(text, kWhen);
}

Result<Expr> Expr::Parse(const std::string& text, const ExprDialect& dialect) {
  Expr e;
  Reader reader(text, dialect, &e.paths_);
  auto root = reader.Run();
  if (!root.ok()) return root.status();
  e.root_ = *root;
  return e;
}

Result<bool> Expr::Evaluate(const Resolver& resolve) const {
  if (!root_) return Status::Internal("expression not parsed");
  auto v = Eval(*root_, resolve);
  if (!v.ok()) return v.status();
  return Truthy(*v);
}

}  // namespace medic
