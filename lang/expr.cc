#include "lang/expr.h"

#include <cctype>
#include <cmath>
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
};

Result<std::vector<Token>> Lex(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    size_t start = i;
    if (c == '\'' || c == '"') {
      std::string value;
      ++i;
      while (i < s.size() && s[i] != c) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        value += s[i++];
      }
      if (i >= s.size())
        return Status::Invalid("unterminated string starting at character " + std::to_string(start + 1));
      ++i;
      out.push_back({Token::kString, value, start});
    } else if (c == '{' && i + 1 < s.size() && s[i + 1] == '{') {
      size_t end = s.find("}}", i + 2);
      if (end == std::string::npos)
        return Status::Invalid("unterminated '{{' at character " + std::to_string(start + 1));
      std::string path(Trim(std::string_view(s).substr(i + 2, end - i - 2)));
      if (!IsValidPath(path))
        return Status::Invalid("'{{ " + path + " }}' is not a reference (expected e.g. {{ params.name }})");
      out.push_back({Token::kIdent, path, start});
      i = end + 2;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      ++i;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      out.push_back({Token::kNumber, s.substr(start, i - start), start});
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' ||
                              s[i] == '.' || s[i] == '-'))
        ++i;
      out.push_back({Token::kIdent, s.substr(start, i - start), start});
    } else if (c == '(') {
      out.push_back({Token::kLParen, "(", i++});
    } else if (c == ')') {
      out.push_back({Token::kRParen, ")", i++});
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      std::string op(1, c);
      if (i + 1 < s.size() && s[i + 1] == '=') op += '=';
      if (op == "=" || op == "!")
        return Status::Invalid("'" + op + "' at character " + std::to_string(start + 1) +
                               " is not an operator (use == or !=, and 'not')");
      i += op.size();
      out.push_back({Token::kOp, op, start});
    } else {
      return Status::Invalid(std::string("unexpected '") + c + "' at character " + std::to_string(start + 1));
    }
  }
  out.push_back({Token::kEnd, "", s.size()});
  return out;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::vector<std::string>* paths)
      : tokens_(std::move(tokens)), paths_(paths) {}

  Result<NodePtr> ParseAll() {
    auto e = ParseOr();
    if (!e.ok()) return e;
    if (Peek().kind != Token::kEnd) return Unexpected("'and', 'or' or the end");
    return e;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_++]; }
  bool IsWord(const char* w) const { return Peek().kind == Token::kIdent && Peek().text == w; }
  Status Unexpected(const std::string& expected) const {
    const Token& t = Peek();
    std::string got = t.kind == Token::kEnd ? "the end" : "'" + t.text + "'";
    return Status::Invalid("expected " + expected + " at character " + std::to_string(t.pos + 1) +
                           ", found " + got);
  }
  static NodePtr Binary(ExprNode::Kind kind, NodePtr l, NodePtr r, std::string op = "") {
    auto n = std::make_shared<ExprNode>();
    n->kind = kind;
    n->lhs = std::move(l);
    n->rhs = std::move(r);
    n->op = std::move(op);
    return n;
  }

  Result<NodePtr> ParseOr() {
    auto l = ParseAnd();
    if (!l.ok()) return l;
    NodePtr node = *l;
    while (IsWord("or")) {
      Next();
      auto r = ParseAnd();
      if (!r.ok()) return r;
      node = Binary(ExprNode::kOr, node, *r);
    }
    return node;
  }
  Result<NodePtr> ParseAnd() {
    auto l = ParseNot();
    if (!l.ok()) return l;
    NodePtr node = *l;
    while (IsWord("and")) {
      Next();
      auto r = ParseNot();
      if (!r.ok()) return r;
      node = Binary(ExprNode::kAnd, node, *r);
    }
    return node;
  }
  Result<NodePtr> ParseNot() {
    if (IsWord("not")) {
      Next();
      auto inner = ParseNot();
      if (!inner.ok()) return inner;
      return Binary(ExprNode::kNot, *inner, nullptr);
    }
    return ParseCompare();
  }
  Result<NodePtr> ParseCompare() {
    auto l = ParseAtom();
    if (!l.ok()) return l;
    if (Peek().kind == Token::kOp) {
      std::string op = Next().text;
      auto r = ParseAtom();
      if (!r.ok()) return r;
      return Binary(ExprNode::kCompare, *l, *r, op);
    }
    return l;
  }
  Result<NodePtr> ParseAtom() {
    const Token& t = Peek();
    auto n = std::make_shared<ExprNode>();
    switch (t.kind) {
      case Token::kLParen: {
        Next();
        auto inner = ParseOr();
        if (!inner.ok()) return inner;
        if (Peek().kind != Token::kRParen) return Unexpected("')'");
        Next();
        return inner;
      }
      case Token::kString:
        n->kind = ExprNode::kLiteral;
        n->literal = Next().text;
        return NodePtr(n);
      case Token::kNumber: {
        n->kind = ExprNode::kLiteral;
        std::string text = Next().text;
        try {
          n->literal = text.find('.') == std::string::npos ? Json(std::stoll(text)) : Json(std::stod(text));
        } catch (...) {
          return Status::Invalid("'" + text + "' is not a number");
        }
        return NodePtr(n);
      }
      case Token::kIdent: {
        std::string word = t.text;
        if (word == "and" || word == "or" || word == "not") return Unexpected("a value");
        Next();
        n->kind = ExprNode::kLiteral;
        if (word == "true") {
          n->literal = true;
        } else if (word == "false") {
          n->literal = false;
        } else if (word == "null") {
          n->literal = nullptr;
        } else {
          if (!IsValidPath(word) || word.find('.') == std::string::npos)
            return Status::Invalid("'" + word + "' at character " + std::to_string(t.pos + 1) +
                                   " is not a value: quote strings ('" + word +
                                   "') and name data by path (params." + word + ")");
          n->kind = ExprNode::kPath;
          n->path = word;
          paths_->push_back(word);
        }
        return NodePtr(n);
      }
      default:
        return Unexpected("a value");
    }
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::vector<std::string>* paths_;
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
  // literal or value, so "10" < 9 is false; two strings compare as strings.
  bool numeric = na && nb && (a.is_number() || b.is_number());
  int cmp;
  if (numeric) {
    cmp = *na < *nb ? -1 : (*na > *nb ? 1 : 0);
  } else {
    if (op != "==" && op != "!=" && (a.is_null() || b.is_null())) return false;
    std::string sa = ValueText(a), sb = ValueText(b);
    cmp = sa < sb ? -1 : (sa > sb ? 1 : 0);
  }
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
  if (Trim(text).empty()) return Status::Invalid("empty expression");
  auto tokens = Lex(text);
  if (!tokens.ok()) return tokens.status();
  Expr e;
  Parser p(std::move(*tokens), &e.paths_);
  auto root = p.ParseAll();
  if (!root.ok()) return root.status();
  e.root_ = *root;
  return e;
}

Result<bool> Expr::Evaluate(const Resolver& resolve) const {
  auto v = Eval(*root_, resolve);
  if (!v.ok()) return v.status();
  return Truthy(*v);
}

}  // namespace medic
