// `docctl completion bash|zsh|fish`: a shell completion script for commands, their options and the
// global options, generated from the same option specs the parser uses (so it never drifts).
import type { Command } from "../command.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { GLOBAL_OPTIONS } from "../globals.ts";

const SHELLS = ["bash", "zsh", "fish"] as const;

export const command: Command = {
  name: "completion",
  summary: "print a shell completion script (bash, zsh or fish)",
  help: `Usage: docctl completion bash|zsh|fish

Prints a completion script for commands and their options. Install it:
  bash:  docctl completion bash > /etc/bash_completion.d/docctl   (or: source <(docctl completion bash) in ~/.bashrc)
  zsh:   docctl completion zsh > "\${fpath[1]}/_docctl"            (then start a new shell)
  fish:  docctl completion fish > ~/.config/fish/completions/docctl.fish

Exit codes: 0 printed, 2 bad usage (no shell, or one not listed).`,
  options: {},
  positionals: true,
  async run(ctx) {
    const shell = ctx.positionals[0];
    if (ctx.positionals.length !== 1 || !SHELLS.includes(shell as never)) {
      throw new InputError(`give one shell: ${SHELLS.join(", ")} (got ${shell ? `"${ctx.positionals.join(" ")}"` : "nothing"}); see docctl completion --help`);
    }
    const { commands } = await import("./index.ts");
    process.stdout.write(completionScript(shell as (typeof SHELLS)[number], commands));
    return 0;
  },
};

const flagsOf = (spec: Command["options"]) =>
  Object.entries(spec)
    .filter(([k]) => k !== "child")
    .flatMap(([k, s]) => [`--${k}`, ...(s.short ? [`-${s.short}`] : [])]);

/** The completion script for `shell` (pure: tests read it). */
export function completionScript(shell: (typeof SHELLS)[number], commands: Pick<Command, "name" | "summary" | "options">[]): string {
  const names = commands.map((c) => c.name);
  const globals = flagsOf(GLOBAL_OPTIONS);
  if (shell === "bash") {
    const cases = commands.map((c) => `    ${c.name}) opts="${[...flagsOf(c.options), ...globals].join(" ")}" ;;`).join("\n");
    return `# bash completion for docctl (docctl completion bash)
_docctl() {
  local cur cmd opts i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  if [[ -z "$cmd" && "$cur" != -* ]]; then
    COMPREPLY=($(compgen -W "${names.join(" ")}" -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
    *) opts="${globals.join(" ")}" ;;
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -F _docctl docctl
`;
  }
  if (shell === "zsh") {
    const q = (s: string) => s.replace(/'/g, "'\\''").replace(/:/g, "\\:");
    const cases = commands
      .map((c) => `    ${c.name}) _arguments ${[...flagsOf(c.options), ...globals].map((f) => `'${f}'`).join(" ")} '*:file:_files' ;;`)
      .join("\n");
    return `#compdef docctl
# zsh completion for docctl (docctl completion zsh)
_docctl() {
  local -a cmds
  cmds=(
${commands.map((c) => `    '${c.name}:${q(c.summary)}'`).join("\n")}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' cmds
    return
  fi
  case "\${words[2]}" in
${cases}
  esac
}
compdef _docctl docctl
`;
  }
  const esc = (s: string) => s.replace(/'/g, "\\'");
  const lines = [
    "# fish completion for docctl (docctl completion fish)",
    "complete -c docctl -f",
    ...commands.map((c) => `complete -c docctl -n '__fish_use_subcommand' -a '${c.name}' -d '${esc(c.summary)}'`),
    ...Object.entries(GLOBAL_OPTIONS).map(([k, s]) => `complete -c docctl -l '${k}'${s.short ? ` -s '${s.short}'` : ""}${s.type === "string" ? " -r" : ""}`),
    ...commands.flatMap((c) =>
      Object.entries(c.options)
        .filter(([k]) => k !== "child")
        .map(([k, s]) => `complete -c docctl -n '__fish_seen_subcommand_from ${c.name}' -l '${k}'${s.short ? ` -s '${s.short}'` : ""}${s.type === "string" ? " -r" : ""}`),
    ),
  ];
  return `${lines.join("\n")}\n`;
}
