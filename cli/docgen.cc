// Man pages and shell completions generated from the CLI11 definition that `--help` prints
// (issue 20). Two hidden verbs, run by the build (cmake/ship.cmake):
//   accord __man DIR               writes DIR/accord.1 and DIR/accord-VERB.1 for every verb
//   accord __completions bash|zsh|fish [FILE]   prints (or writes) the completion script for that shell
// Both walk the same CLI::App objects that `accord VERB --help` formats, so a new verb or option
// reaches the man pages and completions without an edit here (tests/packaging/cli_docs_test.py).
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace accord::cli {
namespace {

struct OptionDoc {
  std::vector<std::string> names;  // "--format", "-v" (long first); empty for a positional
  std::string positional;          // the positional's name
  std::string value;               // "TEXT", "INT"; empty for a flag
  std::vector<std::string> choices;
  std::string description;
  bool required = false;
  bool repeated = false;
};

struct VerbDoc {
  std::string name;  // "check"; "schema pull" for a nested verb
  std::string description;
  std::string footer;  // the text --help prints after the options
  std::vector<OptionDoc> options;
  std::vector<VerbDoc> subs;
};

bool Visible(const CLI::App* app) { return !app->get_name().empty() && !app->get_group().empty(); }

// CLI11 writes a check into the type name: "TEXT:{text,json,sarif}" (IsMember), "UINT:POSITIVE".
void SplitTypeName(const std::string& type, OptionDoc& o) {
  o.value = type.substr(0, type.find(':'));
  std::size_t brace = type.find(":{");
  if (brace == std::string::npos || type.back() != '}') return;
  std::string list = type.substr(brace + 2, type.size() - brace - 3);
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) o.choices.push_back(item);
}

VerbDoc Describe(const CLI::App* app, const std::string& name) {
  VerbDoc v;
  v.name = name;
  v.description = app->get_description();
  v.footer = app->get_footer();
  for (const CLI::Option* opt : app->get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    OptionDoc o;
    for (const std::string& l : opt->get_lnames()) o.names.push_back("--" + l);
    for (const std::string& s : opt->get_snames()) o.names.push_back("-" + s);
    if (o.names.empty()) o.positional = opt->get_name(true);
    if (opt->get_type_size_max() != 0) SplitTypeName(opt->get_type_name(), o);
    o.description = opt->get_description();
    o.required = opt->get_required();
    o.repeated = opt->get_items_expected_max() > 1;
    v.options.push_back(std::move(o));
  }
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App* s) { return Visible(s); })) {
    v.subs.push_back(Describe(sub, name.empty() ? sub->get_name() : name + " " + sub->get_name()));
  }
  return v;
}

// ---- roff ----

std::string Roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : (c == ' ' ? '-' : c);
  return s;
}

std::string Dashed(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = c == ' ' ? '-' : c;
  return out;
}

std::string ValueText(const OptionDoc& o) {
  if (!o.choices.empty()) {
    std::string joined;
    for (const std::string& c : o.choices) joined += (joined.empty() ? "" : "|") + c;
    return joined;
  }
  return o.value;
}

void ManSynopsis(std::ostream& out, const VerbDoc& v) {
  out << ".SH SYNOPSIS\n.B accord " << Roff(v.name) << "\n";
  bool any_option = false;
  for (const OptionDoc& o : v.options) any_option = any_option || !o.names.empty();
  if (any_option) out << "[\\fIOPTIONS\\fR]\n";
  for (const OptionDoc& o : v.options) {
    if (!o.positional.empty()) {
      out << (o.required ? "\\fI" : "[\\fI") << Roff(o.positional) << "\\fR" << (o.repeated ? "..." : "")
          << (o.required ? "" : "]") << "\n";
    }
  }
  if (!v.subs.empty()) out << "\\fICOMMAND\\fR\n";
}

void ManOptions(std::ostream& out, const std::vector<OptionDoc>& options) {
  for (const OptionDoc& o : options) {
    out << ".TP\n";
    if (!o.positional.empty()) {
      out << ".I " << Roff(o.positional) << "\n";
    } else {
      std::string line;
      for (const std::string& n : o.names) line += (line.empty() ? "\\fB" : ", \\fB") + Roff(n) + "\\fR";
      if (!o.value.empty()) line += " \\fI" + Roff(ValueText(o)) + "\\fR";
      out << line << "\n";
    }
    std::string text = o.description.empty() ? "(no description)" : o.description;
    if (o.required) text += " (required)";
    out << Roff(text) << "\n";
  }
}

void ManHeader(std::ostream& out, const std::string& page, const std::string& what) {
  out << ".\\\" Generated by `accord __man` from the CLI definition (cli/docgen.cc): do not edit.\n"
      << ".TH " << Upper(page) << " 1 \"\" \"accord " << ACCORD_VERSION << "\" \"Accord Manual\"\n"
      << ".SH NAME\n"
      << Roff(page) << " \\- " << Roff(what) << "\n";
}

std::string VerbPage(const VerbDoc& v) {
  std::ostringstream out;
  ManHeader(out, "accord-" + Dashed(v.name), v.description);
  ManSynopsis(out, v);
  out << ".SH DESCRIPTION\n" << Roff(v.description) << "\n";
  // The footer: prose lines fill a paragraph, indented lines (usage examples) keep their layout.
  std::stringstream footer(v.footer);
  bool nofill = false;
  out << ".PP\n";
  for (std::string line; std::getline(footer, line);) {
    bool indented = !line.empty() && line[0] == ' ';
    if (nofill != indented && !line.empty()) {
      out << (indented ? ".nf\n" : ".fi\n.PP\n");
      nofill = indented;
    }
    out << (line.empty() ? ".PP" : Roff(line)) << "\n";
  }
  if (nofill) out << ".fi\n";
  if (!v.options.empty()) {
    out << ".SH OPTIONS\n";
    ManOptions(out, v.options);
  }
  for (const VerbDoc& sub : v.subs) {
    out << ".SH COMMAND " << Roff(Upper(sub.name.substr(v.name.size() + 1))) << "\n"
        << ".B accord " << Roff(sub.name) << "\n.PP\n"
        << Roff(sub.description) << "\n";
    ManOptions(out, sub.options);
  }
  out << ".SH SEE ALSO\n.BR accord (1)\n";
  return out.str();
}

std::string MainPage(const VerbDoc& root) {
  std::ostringstream out;
  ManHeader(out, "accord", "compiler and runtime for Salesforce <-> HubSpot sync rules");
  out << ".SH SYNOPSIS\n.B accord\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n"
      << ".br\n.B accord help\n\\fICOMMAND\\fR\n"
      << ".SH DESCRIPTION\n"
      << Roff(root.description) << "\n"
      << ".PP\nEach command has its own page, named below; \\fBaccord help\\fR \\fICOMMAND\\fR prints the same "
         "options.\n"
      << ".SH COMMANDS\n";
  for (const VerbDoc& v : root.subs) {
    out << ".TP\n.BR accord\\-" << Roff(Dashed(v.name)) << " (1)\n" << Roff(v.description) << "\n";
  }
  out << ".SH OPTIONS\n";
  ManOptions(out, root.options);
  out << ".SH EXIT STATUS\n"
      << ".TP\n0\nsuccess\n"
      << ".TP\n1\nfindings: check errors, failing tests, a change at or above \\fB\\-\\-fail\\-on\\fR, entries in "
         "the error log\n"
      << ".TP\n2\nusage or I/O failure\n"
      << ".TP\n3\n\\fBaccord diff\\fR: the new rules have check errors\n"
      << ".SH ENVIRONMENT\n"
      << ".TP\nACCORD_JIT_CACHE\nthe JIT's object cache folder (\\fBoff\\fR: none)\n"
      << ".TP\nNO_COLOR\nno colour in the text output\n"
      << ".TP\nTZDIR\nthe time zone database (default /usr/share/zoneinfo)\n"
      << ".SH SEE ALSO\n";
  for (std::size_t i = 0; i < root.subs.size(); ++i) {
    out << ".BR accord\\-" << Roff(Dashed(root.subs[i].name)) << " (1)" << (i + 1 < root.subs.size() ? "," : "")
        << "\n";
  }
  return out.str();
}

// ---- completions ----

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::vector<std::string> OptionNames(const VerbDoc& v) {
  std::vector<std::string> names;
  for (const OptionDoc& o : v.options) names.insert(names.end(), o.names.begin(), o.names.end());
  return names;
}

std::vector<std::string> SubNames(const VerbDoc& v) {
  std::vector<std::string> names;
  for (const VerbDoc& s : v.subs) names.push_back(s.name.substr(s.name.rfind(' ') + 1));
  return names;
}

// Every verb, nested ones after their parent.
void Flatten(const VerbDoc& v, std::vector<const VerbDoc*>& out) {
  for (const VerbDoc& s : v.subs) {
    out.push_back(&s);
    Flatten(s, out);
  }
}

std::string SingleQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string Bash(const VerbDoc& root) {
  std::vector<const VerbDoc*> verbs;
  Flatten(root, verbs);
  std::ostringstream out;
  out << "# bash completion for accord. Generated by `accord __completions bash` (cli/docgen.cc): do not edit.\n"
      << "_accord() {\n"
      << "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} verb='' i w\n"
      << "  # the verb: the leading words that name commands (\"schema pull\")\n"
      << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      << "    w=${COMP_WORDS[i]}\n"
      << "    [[ $w == -* ]] && break\n"
      << "    case \"${verb:+$verb }$w\" in\n";
  std::string all;
  for (const VerbDoc* v : verbs) all += (all.empty() ? "" : "|") + SingleQuoted(v->name);
  out << "      " << all << ") verb=${verb:+$verb }$w ;;\n"
      << "      *) break ;;\n"
      << "    esac\n"
      << "  done\n"
      << "  local opts='' subs=''\n"
      << "  case $verb in\n"
      << "    '') opts=" << SingleQuoted(Join(OptionNames(root))) << " subs=" << SingleQuoted(Join(SubNames(root)))
      << " ;;\n";
  for (const VerbDoc* v : verbs) {
    out << "    " << SingleQuoted(v->name) << ") opts=" << SingleQuoted(Join(OptionNames(*v)))
        << " subs=" << SingleQuoted(Join(SubNames(*v))) << "\n";
    std::string values;
    for (const OptionDoc& o : v->options) {
      if (o.choices.empty()) continue;
      std::string pattern;
      for (const std::string& n : o.names) pattern += (pattern.empty() ? "" : "|") + n;
      values += "        " + pattern + ") COMPREPLY=($(compgen -W " + SingleQuoted(Join(o.choices)) +
                " -- \"$cur\")); return ;;\n";
    }
    if (!values.empty()) out << "      case $prev in\n" << values << "      esac\n";
    out << "      ;;\n";
  }
  out << "  esac\n"
      << "  if [[ $cur == -* ]]; then\n"
      << "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
      << "  elif [[ -n $subs ]]; then\n"
      << "    COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
      << "  else\n"
      << "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
      << "  fi\n"
      << "}\n"
      << "complete -o default -F _accord accord\n";
  return out.str();
}

// Text inside a zsh _arguments/_describe spec: [ ] : \ and ' escaped.
std::string ZshText(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') out += '\\';
    if (c == '\'') {
      out += "'\\''";
      continue;
    }
    out += c;
  }
  return out;
}

// A verb's own options where its commands are completed ("accord schema -"): names only.
std::string ZshFlags(const VerbDoc& v) {
  std::string out;
  for (const OptionDoc& o : v.options) {
    for (const std::string& n : o.names) out += " '" + n + "[" + ZshText(o.description) + "]'";
  }
  return out;
}

void ZshArguments(std::ostream& out, const VerbDoc& v, const std::string& indent) {
  out << indent << "_arguments -s";
  for (const OptionDoc& o : v.options) {
    if (!o.positional.empty()) continue;
    std::string spec;
    if (o.names.size() > 1) {
      spec = "'(" + Join(o.names) + ")'{";
      for (std::size_t i = 0; i < o.names.size(); ++i) spec += (i ? "," : "") + o.names[i];
      spec += "}'";
    } else {
      spec = "'" + o.names[0];
    }
    spec += "[" + ZshText(o.description) + "]";
    if (!o.value.empty()) {
      spec += ":" + ZshText(o.value) + ":";
      bool number = o.value == "INT" || o.value == "UINT" || o.value == "FLOAT" || o.value == "NUMBER";
      spec += !o.choices.empty() ? "(" + Join(o.choices) + ")" : number ? " " : "_files";
    }
    out << " \\\n" << indent << "  " << spec << "'";
  }
  out << " \\\n" << indent << "  '*:file:_files'\n";
}

void ZshVerb(std::ostream& out, const VerbDoc& v, int depth) {
  std::string indent(static_cast<std::size_t>(4 + depth * 4), ' ');
  if (v.subs.empty()) {
    ZshArguments(out, v, indent);
    return;
  }
  out << indent << "if (( CURRENT == 2 )); then\n" << indent << "  local -a subs=(";
  for (const VerbDoc& s : v.subs) {
    out << " '" << ZshText(s.name.substr(s.name.rfind(' ') + 1)) << ":" << ZshText(s.description) << "'";
  }
  out << " )\n"
      << indent << "  _describe -t commands 'accord " << v.name << " command' subs\n"
      << indent << "  _arguments" << ZshFlags(v) << "\n"
      << indent << "  return\n"
      << indent << "fi\n"
      << indent << "shift words; (( CURRENT-- ))\n"
      << indent << "case $words[1] in\n";
  for (const VerbDoc& s : v.subs) {
    out << indent << "  " << s.name.substr(s.name.rfind(' ') + 1) << ")\n";
    ZshVerb(out, s, depth + 1);
    out << indent << "    ;;\n";
  }
  out << indent << "esac\n";
}

std::string Zsh(const VerbDoc& root) {
  std::ostringstream out;
  out << "#compdef accord\n"
      << "# zsh completion for accord. Generated by `accord __completions zsh` (cli/docgen.cc): do not edit.\n"
      << "_accord() {\n"
      << "  if (( CURRENT == 2 )); then\n"
      << "    local -a verbs=(";
  for (const VerbDoc& v : root.subs) out << " '" << ZshText(v.name) << ":" << ZshText(v.description) << "'";
  out << " )\n"
      << "    _describe -t commands 'accord command' verbs\n"
      << "    _arguments" << ZshFlags(root) << "\n"
      << "    return\n"
      << "  fi\n"
      << "  shift words; (( CURRENT-- ))\n"
      << "  case $words[1] in\n";
  for (const VerbDoc& v : root.subs) {
    out << "  " << v.name << ")\n";
    ZshVerb(out, v, 0);
    out << "    ;;\n";
  }
  out << "  esac\n"
      << "}\n"
      << "_accord \"$@\"\n";
  return out.str();
}

std::string Fish(const VerbDoc& root) {
  std::ostringstream out;
  out << "# fish completion for accord. Generated by `accord __completions fish` (cli/docgen.cc): do not edit.\n";
  std::string top = Join(SubNames(root));
  for (const VerbDoc& v : root.subs) {
    out << "complete -c accord -n " << SingleQuoted("not __fish_seen_subcommand_from " + top) << " -f -a " << v.name
        << " -d " << SingleQuoted(v.description) << "\n";
  }
  for (const OptionDoc& o : root.options) {
    out << "complete -c accord -n " << SingleQuoted("not __fish_seen_subcommand_from " + top);
    for (const std::string& n : o.names) out << (n.rfind("--", 0) == 0 ? " -l " + n.substr(2) : " -s " + n.substr(1));
    out << " -d " << SingleQuoted(o.description) << "\n";
  }
  std::vector<const VerbDoc*> verbs;
  Flatten(root, verbs);
  for (const VerbDoc* v : verbs) {
    // "schema pull": seen schema and pull; "schema": seen schema and none of its commands.
    std::string cond;
    std::stringstream words(v->name);
    for (std::string w; words >> w;)
      cond += (cond.empty() ? "" : "; and ") + std::string("__fish_seen_subcommand_from ") + w;
    if (!v->subs.empty()) {
      std::string subs = Join(SubNames(*v));
      for (const VerbDoc& s : v->subs) {
        out << "complete -c accord -n " << SingleQuoted(cond + "; and not __fish_seen_subcommand_from " + subs)
            << " -f -a " << s.name.substr(s.name.rfind(' ') + 1) << " -d " << SingleQuoted(s.description) << "\n";
      }
    }
    for (const OptionDoc& o : v->options) {
      if (o.names.empty()) continue;
      out << "complete -c accord -n " << SingleQuoted(cond);
      for (const std::string& n : o.names) {
        out << (n.rfind("--", 0) == 0 ? " -l " + n.substr(2) : " -s " + n.substr(1));
      }
      if (!o.value.empty()) out << " -r";
      if (!o.choices.empty()) out << " -f -a " << SingleQuoted(Join(o.choices));
      out << " -d " << SingleQuoted(o.description) << "\n";
    }
  }
  return out.str();
}

}  // namespace

void RegisterDocGen(CLI::App& app, int& exit_code) {
  auto* man = app.add_subcommand("__man", "write the man pages (build step)");
  man->group("");  // hidden from --help
  auto dir = std::make_shared<std::string>();
  man->add_option("dir", *dir, "output folder")->required();
  man->callback([&app, &exit_code, dir] {
    VerbDoc root = Describe(&app, "");
    std::vector<std::pair<std::string, std::string>> pages = {{"accord.1", MainPage(root)}};
    for (const VerbDoc& v : root.subs) pages.emplace_back("accord-" + Dashed(v.name) + ".1", VerbPage(v));
    for (const auto& [file, text] : pages) {
      std::ofstream out(*dir + "/" + file, std::ios::binary);
      out << text;
      if (!out) {
        std::cerr << "accord: cannot write " << *dir << "/" << file << "\n";
        exit_code = kUsage;
        return;
      }
    }
  });

  auto* comp = app.add_subcommand("__completions", "print a shell completion script (build step)");
  comp->group("");
  auto shell = std::make_shared<std::string>();
  comp->add_option("shell", *shell, "bash, zsh or fish")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  auto file = std::make_shared<std::string>();
  comp->add_option("file", *file, "write here instead of stdout");
  comp->callback([&app, &exit_code, shell, file] {
    VerbDoc root = Describe(&app, "");
    std::string text = *shell == "bash" ? Bash(root) : *shell == "zsh" ? Zsh(root) : Fish(root);
    if (file->empty()) {
      std::cout << text;
      return;
    }
    std::ofstream out(*file, std::ios::binary);
    out << text;
    if (!out) {
      std::cerr << "accord: cannot write " << *file << "\n";
      exit_code = kUsage;
    }
  });
}

}  // namespace accord::cli
