// `medic completion bash|zsh|fish`: a script that completes commands, flags, playbook files,
// and run, incident, step, route and action names. The names come from the record when the
// user presses TAB, through the hidden `medic __complete KIND [RUN]`, which prints one
// "NAME<TAB>description" per line. The command and flag lists are read off the command table
// here, so they never drift from what medic accepts.
#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "base/strings.h"
#include "cmd/commands.h"

namespace medic {
namespace {

struct CommandInfo {
  std::string name;
  std::string description;
  std::vector<std::string> flags;   // --long and -s names
  std::vector<std::string> valued;  // the flags that take a value
  std::vector<std::string> subcommands;
};

std::vector<CommandInfo> Commands(CLI::App& app) {
  std::vector<CommandInfo> out;
  for (CLI::App* sub : app.get_subcommands({})) {
    if (StartsWith(sub->get_name(), "__")) continue;
    CommandInfo c{sub->get_name(), sub->get_description(), {}, {}, {}};
    for (const CLI::Option* opt : sub->get_options()) {
      if (!opt->nonpositional()) continue;
      std::vector<std::string> names;
      for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
      for (const auto& s : opt->get_snames()) names.push_back("-" + s);
      for (const auto& n : names) {
        if (n == "--help" || n == "-h") continue;
        c.flags.push_back(n);
        if (opt->get_expected_min() > 0) c.valued.push_back(n);
      }
    }
    for (CLI::App* nested : sub->get_subcommands({})) c.subcommands.push_back(nested->get_name());
    out.push_back(std::move(c));
  }
  return out;
}

// The positional arguments each command takes, by kind: how the scripts complete them.
// A kind is one `medic __complete` knows, or: file, playbook, shell, command.
struct Positional {
  const char* command;
  const char* first;
  const char* second;  // "" none
};
constexpr Positional kPositionals[] = {
    {"run", "playbook", ""},       {"validate", "playbook", "playbook"},
    {"analyze", "file", "file"},   {"resume", "runs", ""},
    {"show", "runs", ""},          {"logs", "runs", "steps"},
    {"approve", "runs", "steps"},  {"close", "incidents", ""},
    {"timeline", "incidents", ""}, {"actions", "actions", ""},
    {"completion", "shell", ""},   {"route", "subcommand", "routes"},
};

const Positional* PositionalOf(const std::string& command) {
  for (const auto& p : kPositionals)
    if (command == p.command) return &p;
  return nullptr;
}

std::string Words(const std::vector<std::string>& words) { return Join(words, " "); }

// One bash function that zsh also runs through bashcompinit: no bash-only expansions.
std::string BashScript(const std::vector<CommandInfo>& commands) {
  std::vector<std::string> names, valued = {"--db"};
  for (const auto& c : commands) {
    names.push_back(c.name);
    valued.insert(valued.end(), c.valued.begin(), c.valued.end());
  }
  std::set<std::string> unique(valued.begin(), valued.end());
  std::string flags_case, positional_case;
  for (const auto& c : commands) {
    flags_case += "    " + c.name + ") echo \"" + Words(c.flags) + " --help\" ;;\n";
    const Positional* p = PositionalOf(c.name);
    if (!p) continue;
    positional_case += "    " + c.name + ":0) kind=" + p->first + " ;;\n";
    if (*p->second) positional_case += "    " + c.name + ":*) kind=" + p->second + " ;;\n";
  }
  std::string route_subs;
  for (const auto& c : commands)
    if (c.name == "route") route_subs = Words(c.subcommands);
  return R"SH(# medic completion for bash (and zsh, through bashcompinit).
#   bash: source <(medic completion bash)   or save it as
#         /usr/share/bash-completion/completions/medic
_medic_names() {
  medic ${_medic_db:+--db "$_medic_db"} __complete "$@" 2>/dev/null | cut -f1
}
_medic_flags() {
  case "$1" in
)SH" + flags_case +
         R"SH(  esac
}
_medic() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" kind="" word i
  local -a args
  _medic_db=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    case " )SH" +
         Words({unique.begin(), unique.end()}) + R"SH( " in
      *" $word "*)
        [ "$word" = "--db" ] && _medic_db="${COMP_WORDS[i+1]}"
        i=$((i + 1))
        continue ;;
    esac
    case "$word" in -*) continue ;; esac
    if [ -z "$cmd" ]; then cmd="$word"; else args+=("$word"); fi
  done
  COMPREPLY=()
  case "$prev" in
    --db|-o|--output|--known|--core|--binary|--config|--work-dir)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --retry|--skip)
      [ ${#args[@]} -ge 1 ] && COMPREPLY=($(compgen -W "$(_medic_names steps "${args[0]}")" -- "$cur"))
      return ;;
    --run) COMPREPLY=($(compgen -W "$(_medic_names runs)" -- "$cur")); return ;;
    --incident) COMPREPLY=($(compgen -W "$(_medic_names incidents)" -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "md json csv html" -- "$cur")); return ;;
  esac
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W ")SH" +
         Words(names) + R"SH( help --db --help --version" -- "$cur"))
    return
  fi
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "$(_medic_flags "$cmd")" -- "$cur")); return ;;
  esac
  case "$cmd:${#args[@]}" in
)SH" + positional_case +
         R"SH(    help:0) kind=command ;;
  esac
  case "$kind" in
    playbook) COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -S / -- "$cur")) ;;
    file) COMPREPLY=($(compgen -f -- "$cur")) ;;
    shell) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
    command) COMPREPLY=($(compgen -W ")SH" +
         Words(names) + R"SH(" -- "$cur")) ;;
    subcommand) COMPREPLY=($(compgen -W ")SH" +
         route_subs + R"SH(" -- "$cur")) ;;
    routes) [ "${args[0]}" = reset ] && COMPREPLY=($(compgen -W "$(_medic_names routes)" -- "$cur")) ;;
    steps) COMPREPLY=($(compgen -W "$(_medic_names steps "${args[0]}")" -- "$cur")) ;;
    runs|incidents|actions) COMPREPLY=($(compgen -W "$(_medic_names "$kind")" -- "$cur")) ;;
  esac
}
complete -F _medic medic
)SH";
}

std::string ZshScript(const std::vector<CommandInfo>& commands) {
  return "#compdef medic\n# medic completion for zsh: source <(medic completion zsh), or save "
         "it as _medic\n# in a directory of $fpath. It runs the bash completion through "
         "bashcompinit.\n(( $+functions[compdef] )) || { autoload -U compinit && compinit }\n"
         "autoload -U +X bashcompinit && bashcompinit\n" +
         BashScript(commands);
}

std::string FishScript(const std::vector<CommandInfo>& commands) {
  std::string out = R"SH(# medic completion for fish: medic completion fish | source, or save it as
# ~/.config/fish/completions/medic.fish
function __medic_args --description 'the words after medic that are not options'
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip 0
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        if contains -- $t )SH";
  std::set<std::string> valued = {"--db"};
  for (const auto& c : commands) valued.insert(c.valued.begin(), c.valued.end());
  out += Words({valued.begin(), valued.end()});
  out += R"SH(
            set skip 1
            continue
        end
        string match -q -- '-*' $t; or echo $t
    end
end
function __medic_at --description 'the command is $argv[1] and $argv[2] positionals follow it'
    set -l args (__medic_args)
    test (count $args) -ge 1; and test "$args[1]" = $argv[1]; and test (count $args) -eq (math $argv[2] + 1)
end
function __medic_names
    medic __complete $argv 2>/dev/null
end
function __medic_steps
    set -l args (__medic_args)
    medic __complete steps $args[2] 2>/dev/null
end
complete -c medic -f
complete -c medic -n __fish_use_subcommand -l db -r -d 'SQLite database'
)SH";
  for (const auto& c : commands) {
    out += "complete -c medic -n __fish_use_subcommand -a " + c.name + " -d '" +
           Join(Split(c.description, '\''), "") + "'\n";
    for (const auto& f : c.flags) {
      bool takes = std::find(c.valued.begin(), c.valued.end(), f) != c.valued.end();
      std::string opt = StartsWith(f, "--") ? "-l " + f.substr(2) : "-s " + f.substr(1);
      out += "complete -c medic -n '__fish_seen_subcommand_from " + c.name + "' " + opt +
             (takes ? " -r" : "") + "\n";
    }
    const Positional* p = PositionalOf(c.name);
    if (!p) continue;
    auto kind_args = [&](const std::string& kind) -> std::string {
      if (kind == "playbook") return "-F -a '(__fish_complete_suffix .yaml)'";
      if (kind == "file") return "-F";
      if (kind == "shell") return "-a 'bash zsh fish'";
      if (kind == "subcommand") return "-a '" + Words(c.subcommands) + "'";
      if (kind == "steps") return "-a '(__medic_steps)'";
      return "-a '(__medic_names " + kind + ")'";
    };
    out += "complete -c medic -n '__medic_at " + c.name + " 0' " + kind_args(p->first) + "\n";
    if (*p->second)
      out += "complete -c medic -n '__medic_at " + c.name + " 1' " + kind_args(p->second) + "\n";
  }
  out += "complete -c medic -n '__medic_at help 0' -a '";
  for (const auto& c : commands) out += c.name + " ";
  out += "'\n";
  return out;
}

// Roff text: backslashes and leading dots or quotes escaped.
std::string Roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (c == '\\')
      out += "\\e";
    else if (line_start && (c == '.' || c == '\''))
      out += "\\&" + std::string(1, c);
    else if (c == '-')
      out += "\\-";
    else
      out += c;
    line_start = c == '\n';
  }
  return out;
}

// `medic __man`: the man page, from the command table and its help, so it cannot drift.
std::string ManPage(CLI::App& app) {
  std::string what = app.get_description();
  if (StartsWith(what, "medic: ")) what = what.substr(7);
  std::string out = ".TH MEDIC 1 \"\" \"medic 0.1.0\" \"User Commands\"\n.SH NAME\nmedic \\- " +
                    Roff(what) +
                    "\n.SH SYNOPSIS\n.B medic\n[\\-\\-db PATH] COMMAND [OPTIONS]\n.SH COMMANDS\n";
  for (CLI::App* sub : app.get_subcommands({})) {
    if (StartsWith(sub->get_name(), "__")) continue;
    out += ".SS " + Roff(sub->get_name()) + "\n" + Roff(sub->get_description()) + "\n";
    for (const CLI::Option* opt : sub->get_options()) {
      if (opt->get_name() == "--help") continue;
      std::vector<std::string> names;
      for (const auto& s : opt->get_snames()) names.push_back("-" + s);
      for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
      std::string shown = names.empty() ? std::string(opt->get_name()) : Join(names, ", ");
      if (opt->get_expected_min() > 0 && opt->nonpositional()) shown += " " + opt->get_type_name();
      out += ".TP\n.B " + Roff(shown) + "\n" + Roff(opt->get_description()) + "\n";
    }
    for (CLI::App* nested : sub->get_subcommands({}))
      out += ".TP\n.B " + Roff(sub->get_name() + " " + nested->get_name()) + "\n" +
             Roff(nested->get_description()) + "\n";
    if (!sub->get_footer().empty()) out += ".PP\n.nf\n" + Roff(sub->get_footer()) + "\n.fi\n";
  }
  out += ".SH NOTES\n.nf\n" + Roff(app.get_footer()) + "\n.fi\n";
  out +=
      ".SH SEE ALSO\n/usr/share/medic/examples/serve.yaml, "
      "/usr/share/medic/playbooks/\n";
  return out;
}

// `medic __complete KIND [RUN]`: what TAB offers, one "NAME\tdescription" per line. Quiet on
// errors: a completion must never print a complaint into the user's command line.
void PrintNames(Context& ctx, const std::string& kind, int64_t run) {
  if (kind == "actions") {
    for (const auto& name : ctx.registry().Names()) std::cout << name << "\n";
    return;
  }
  auto store = ctx.OpenStore();
  if (!store.ok()) return;
  if (kind == "runs") {
    auto runs = (*store)->ListRuns(50);
    if (runs.ok())
      for (const auto& r : *runs)
        std::cout << r.id << "\t" << r.playbook << " " << ToString(r.status) << "\n";
  } else if (kind == "incidents") {
    auto incidents = (*store)->ListIncidents(50);
    if (incidents.ok())
      for (const auto& i : *incidents)
        std::cout << i.id << "\t" << i.status << ": " << i.title.substr(0, 60) << "\n";
  } else if (kind == "steps") {
    auto steps = (*store)->GetSteps(run);
    if (steps.ok())
      for (const auto& s : *steps) std::cout << s.step_id << "\t" << ToString(s.status) << "\n";
  } else if (kind == "routes") {
    auto breakers = (*store)->ListRouteBreakers();
    if (breakers.ok())
      for (const auto& b : *breakers) std::cout << b.route << "\n";
  }
}

}  // namespace

void AddCompletionCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string shell;
    std::string kind;
    int64_t run = 0;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd =
      app.add_subcommand("completion", "Print a shell completion script (bash, zsh or fish)");
  cmd->add_option("shell", flags->shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  cmd->callback([flags, &app] {
    std::vector<CommandInfo> commands = Commands(app);
    if (flags->shell == "bash") std::cout << BashScript(commands);
    if (flags->shell == "zsh") std::cout << ZshScript(commands);
    if (flags->shell == "fish") std::cout << FishScript(commands);
  });
  auto* man = app.add_subcommand("__man", "the man page (roff), for the install");
  man->group("");  // hidden
  man->callback([&app] { std::cout << ManPage(app); });
  auto* names = app.add_subcommand("__complete", "names for shell completion");
  names->group("");  // hidden
  names->add_option("kind", flags->kind)->required();
  names->add_option("run", flags->run);
  names->callback([flags, &ctx] { PrintNames(ctx, flags->kind, flags->run); });
}

}  // namespace medic
