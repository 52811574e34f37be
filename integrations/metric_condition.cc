#include "integrations/metric_condition.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

namespace medic {

struct MetricCondition::Node {
  enum class Kind { kCompare, kAnd, kOr, kNot };
  Kind kind = Kind::kCompare;
  // kCompare: lhs OP rhs, where a side is `result` when its flag is set.
  std::string op;
  bool lhs_result = false;
  bool rhs_result = false;
  double lhs = 0;
  double rhs = 0;
  std::shared_ptr<const Node> a, b;

  bool Eval(double result) const {
    switch (kind) {
      case Kind::kAnd:
        return a->Eval(result) && b->Eval(result);
      case Kind::kOr:
        return a->Eval(result) || b->Eval(result);
      case Kind::kNot:
        return !a->Eval(result);
      case Kind::kCompare:
        break;
    }
    double l = lhs_result ? result : lhs;
    double r = rhs_result ? result : rhs;
    if (op == "<") return l < r;
    if (op == "<=") return l <= r;
    if (op == ">") return l > r;
    if (op == ">=") return l >= r;
    if (op == "==") return l == r;
    return l != r;
  }
};

namespace {

using Node = MetricCondition::Node;
using NodePtr = std::shared_ptr<const Node>;

struct Token {
  enum class Kind { kWord, kNumber, kOp, kOpen, kClose, kEnd };
  Kind kind;
  std::string text;
  double number = 0;
  size_t column;  // 1-based
};

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  Result<NodePtr> Run() {
    Status lexed = Lex();
    if (!lexed.ok()) return lexed;
    auto node = Or();
    if (!node.ok()) return node;
    if (Peek().kind != Token::Kind::kEnd) return Error(Peek(), "expected 'and', 'or' or the end");
    return node;
  }

 private:
  Status Lex() {
    size_t i = 0;
    while (i < text_.size()) {
      char c = text_[i];
      size_t col = i + 1;
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (c == '(' || c == ')') {
        tokens_.push_back(
            {c == '(' ? Token::Kind::kOpen : Token::Kind::kClose, std::string(1, c), 0, col});
        ++i;
      } else if (c == '<' || c == '>' || c == '=' || c == '!' || c == '&' || c == '|') {
        std::string op(1, c);
        if (i + 1 < text_.size() && (text_[i + 1] == '=' || (c == '&' && text_[i + 1] == '&') ||
                                     (c == '|' && text_[i + 1] == '|')))
          op += text_[i + 1];
        i += op.size();
        if (op == "=") return Status::Invalid(At(col) + "'=' is not a comparison (use '==')");
        if (op == "&" || op == "|")
          return Status::Invalid(At(col) + "'" + op + "' is not an operator (use 'and', 'or')");
        if (op == "&&") op = "and";
        if (op == "||") op = "or";
        if (op == "!") op = "not";
        Token::Kind kind =
            op == "and" || op == "or" || op == "not" ? Token::Kind::kWord : Token::Kind::kOp;
        tokens_.push_back({kind, op, 0, col});
      } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+') {
        const char* begin = text_.c_str() + i;
        char* end = nullptr;
        double v = std::strtod(begin, &end);
        if (end == begin) return Status::Invalid(At(col) + "expected a number");
        i += static_cast<size_t>(end - begin);
        tokens_.push_back(
            {Token::Kind::kNumber, std::string(begin, static_cast<size_t>(end - begin)), v, col});
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '_'))
          ++j;
        std::string word = text_.substr(i, j - i);
        i = j;
        if (word == "NaN" || word == "Inf" || word == "inf") {
          double v = word == "NaN" ? std::numeric_limits<double>::quiet_NaN()
                                   : std::numeric_limits<double>::infinity();
          tokens_.push_back({Token::Kind::kNumber, word, v, col});
        } else if (word == "result" || word == "and" || word == "or" || word == "not") {
          tokens_.push_back({Token::Kind::kWord, word, 0, col});
        } else {
          return Status::Invalid(At(col) + "unknown word '" + word +
                                 "' (a condition compares 'result' with numbers)");
        }
      } else {
        return Status::Invalid(At(col) + "unexpected '" + std::string(1, c) + "'");
      }
    }
    tokens_.push_back({Token::Kind::kEnd, "", 0, text_.size() + 1});
    return Status::Ok();
  }

  std::string At(size_t col) const {
    return "condition '" + text_ + "', column " + std::to_string(col) + ": ";
  }
  Status Error(const Token& t, const std::string& what) const {
    std::string got = t.kind == Token::Kind::kEnd ? "the end" : "'" + t.text + "'";
    return Status::Invalid(At(t.column) + what + ", got " + got);
  }
  const Token& Peek() const { return tokens_[pos_]; }
  bool IsWord(const char* w) const { return Peek().kind == Token::Kind::kWord && Peek().text == w; }

  Result<NodePtr> Binary(Node::Kind kind, const char* word, Result<NodePtr> (Parser::*next)()) {
    auto left = (this->*next)();
    if (!left.ok()) return left;
    NodePtr node = *left;
    while (IsWord(word)) {
      ++pos_;
      auto right = (this->*next)();
      if (!right.ok()) return right;
      auto n = std::make_shared<Node>();
      n->kind = kind;
      n->a = node;
      n->b = *right;
      node = n;
    }
    return node;
  }
  Result<NodePtr> Or() { return Binary(Node::Kind::kOr, "or", &Parser::And); }
  Result<NodePtr> And() { return Binary(Node::Kind::kAnd, "and", &Parser::Unary); }

  Result<NodePtr> Unary() {
    if (IsWord("not")) {
      ++pos_;
      auto inner = Unary();
      if (!inner.ok()) return inner;
      auto n = std::make_shared<Node>();
      n->kind = Node::Kind::kNot;
      n->a = *inner;
      return NodePtr(n);
    }
    if (Peek().kind == Token::Kind::kOpen) {
      ++pos_;
      auto inner = Or();
      if (!inner.ok()) return inner;
      if (Peek().kind != Token::Kind::kClose) return Error(Peek(), "expected ')'");
      ++pos_;
      return inner;
    }
    return Compare();
  }

  // operand := 'result' | number
  Status Operand(bool* is_result, double* value) {
    const Token& t = Peek();
    if (t.kind == Token::Kind::kWord && t.text == "result") {
      *is_result = true;
    } else if (t.kind == Token::Kind::kNumber) {
      *is_result = false;
      *value = t.number;
    } else {
      return Error(t, "expected 'result' or a number");
    }
    ++pos_;
    return Status::Ok();
  }

  Result<NodePtr> Compare() {
    auto n = std::make_shared<Node>();
    MEDIC_RETURN_IF_ERROR(Operand(&n->lhs_result, &n->lhs));
    if (Peek().kind != Token::Kind::kOp)
      return Error(Peek(), "expected a comparison (< <= > >= == !=)");
    n->op = Peek().text;
    ++pos_;
    MEDIC_RETURN_IF_ERROR(Operand(&n->rhs_result, &n->rhs));
    if (!n->lhs_result && !n->rhs_result)
      return Status::Invalid(At(tokens_[pos_ - 1].column) + "a comparison must involve 'result'");
    return NodePtr(n);
  }

  const std::string& text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

Result<MetricCondition> MetricCondition::Parse(const std::string& text) {
  Parser parser(text);
  auto root = parser.Run();
  if (!root.ok()) return root.status();
  MetricCondition c;
  c.text_ = text;
  c.root_ = *root;
  return c;
}

bool MetricCondition::Evaluate(double result) const { return root_ && root_->Eval(result); }

}  // namespace medic
