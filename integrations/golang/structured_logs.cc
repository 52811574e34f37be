#include "integrations/golang/structured_logs.h"

#include <array>

namespace medic::golang {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x110000) {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->append("\xEF\xBF\xBD");
  }
}

// Reads `digits` hex digits at s[i]; -1 when they are not all there.
int64_t Hex(std::string_view s, size_t i, size_t digits) {
  if (i + digits > s.size()) return -1;
  int64_t v = 0;
  for (size_t k = 0; k < digits; ++k) {
    int h = HexValue(s[i + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "(%v)" closing `s`: the text inside the last balanced parentheses, or npos.
size_t LastGroupOpen(std::string_view s) {
  if (s.empty() || s.back() != ')') return std::string_view::npos;
  int depth = 0;
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] == ')') ++depth;
    if (s[i] == '(' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// The value of a klog key="quoted" pair after `from`, unquoted.
bool KlogValue(std::string_view line, std::string_view key, std::string* out) {
  std::string needle = " " + std::string(key) + "=\"";
  size_t at = line.find(needle);
  if (at == std::string_view::npos) return false;
  size_t used = 0;
  return Unquote(line.substr(at + needle.size() - 1), out, &used) || !out->empty();
}

}  // namespace

bool Unquote(std::string_view q, std::string* out, size_t* consumed) {
  out->clear();
  *consumed = 0;
  if (q.empty() || q[0] != '"') return false;
  size_t i = 1;
  while (i < q.size()) {
    char c = q[i];
    if (c == '"') {
      *consumed = i + 1;
      return true;
    }
    if (c != '\\' || i + 1 >= q.size()) {
      out->push_back(c);
      ++i;
      continue;
    }
    char e = q[i + 1];
    i += 2;
    switch (e) {
      case 'n':
        out->push_back('\n');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 'a':
        out->push_back('\a');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'v':
        out->push_back('\v');
        break;
      case 'x': {
        int64_t v = Hex(q, i, 2);
        if (v < 0) {
          out->append("\\x");
          break;
        }
        out->push_back(static_cast<char>(v));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        size_t n = e == 'u' ? 4 : 8;
        int64_t v = Hex(q, i, n);
        if (v < 0) {
          out->push_back('\\');
          out->push_back(e);
          break;
        }
        i += n;
        // A JSON surrogate pair.
        if (v >= 0xD800 && v <= 0xDBFF && i + 6 <= q.size() && q[i] == '\\' && q[i + 1] == 'u') {
          int64_t lo = Hex(q, i + 2, 4);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        AppendUtf8(static_cast<uint32_t>(v), out);
        break;
      }
      default:
        if (e >= '0' && e <= '7' && i + 1 < q.size()) {  // Go's \NNN octal
          int v = (e - '0') * 64 + (q[i] - '0') * 8 + (q[i + 1] - '0');
          out->push_back(static_cast<char>(v));
          i += 2;
        } else {
          out->push_back(e);  // \" \\ \/ and anything unknown
        }
    }
  }
  *consumed = q.size();
  return false;
}

bool LoggedPanic(std::string_view line, std::string* value) {
  size_t at = line.find("Observed a panic");
  if (at != std::string_view::npos) {
    std::string_view rest = line.substr(at + 16);
    if (StartsWith(rest, "\"")) {  // klog structured: "Observed a panic" panic="..."
      if (!KlogValue(line, "panic", value)) value->clear();
      return true;
    }
    size_t colon = rest.find(": ");
    if (colon > 40) return false;  // also npos; "... in reconciler: "
    std::string_view v = TrimBlanks(rest.substr(colon + 2));
    size_t open = LastGroupOpen(v);
    // "Observed a panic: %#v (%v)": the part in parentheses is what panic: would print.
    if (open != std::string_view::npos && open > 0 && v[open - 1] == ' ') {
      v = v.substr(open + 1, v.size() - open - 2);
    }
    size_t used = 0;
    if (!v.empty() && v[0] == '"' && Unquote(v, value, &used) && used == v.size()) return true;
    value->assign(v);
    return true;
  }
  at = line.find("test panicked: ");
  if (at != std::string_view::npos) {
    value->assign(TrimBlanks(line.substr(at + 15)));
    return true;
  }
  return false;
}

bool LogfmtMessage(std::string_view line, std::string* message) {
  size_t at = std::string_view::npos;
  size_t skip = 0;
  for (std::string_view key : {std::string_view("msg="), std::string_view("message=")}) {
    for (size_t p = line.find(key); p != std::string_view::npos; p = line.find(key, p + 1)) {
      if (p == 0 || line[p - 1] == ' ') {
        at = p;
        skip = key.size();
        break;
      }
    }
    if (at != std::string_view::npos) break;
  }
  if (at == std::string_view::npos) return false;
  // Everything before must be key=value pairs ("time=... level=error ").
  std::string_view before = line.substr(0, at);
  if (!before.empty() && (before.find('=') == std::string_view::npos || before[0] == ' ')) {
    return false;
  }
  std::string_view v = line.substr(at + skip);
  if (!v.empty() && v[0] == '"') {
    size_t used = 0;
    Unquote(v, message, &used);
    return true;
  }
  message->assign(v.substr(0, v.find(' ')));
  return true;
}

const Json* JsonMessage(const Json& record) {
  static constexpr std::array<const char*, 6> kKeys = {"msg",     "message", "@message",
                                                       "MESSAGE", "Message", "M"};
  for (const char* key : kKeys) {
    auto it = record.find(key);
    if (it != record.end() && it->is_string()) return &*it;
  }
  return nullptr;
}

std::string JsonPanicValue(const Json& record) {
  auto text = [&](const char* key) -> std::string {
    auto it = record.find(key);
    return it != record.end() && it->is_string() ? it->get<std::string>() : "";
  };
  std::string value = text("panic");
  if (!value.empty()) return value;
  const Json* msg = JsonMessage(record);
  std::string m = msg ? msg->get<std::string>() : "";
  std::string lower = m;
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  size_t at = lower.find("panic");
  if (at == std::string::npos) return "";
  for (const char* key : {"error", "err"}) {
    value = text(key);
    if (!value.empty()) return value;
  }
  size_t colon = m.find(": ", at);
  return colon == std::string::npos ? m : m.substr(colon + 2);
}

}  // namespace medic::golang
