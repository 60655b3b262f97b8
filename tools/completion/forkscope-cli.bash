# bash completion for forkscope-cli: subcommands, options, lesson ids and parameter keys, asked from
# `forkscope-cli list` itself so they are always the installed program's own.
_forkscope_cli() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local takes_value=" --set --speed --seed --schedule --save-schedule --trace-out --save-trace --timeout --budget --depth --repeats --only "
  local command="" lesson="" i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    [[ $word == -* || $takes_value == *" ${COMP_WORDS[i-1]} "* ]] && continue
    if [[ -z $command ]]; then command=$word; elif [[ -z $lesson ]]; then lesson=$word; fi
  done
  local list="${COMP_WORDS[0]} list"
  if [[ -z $command ]]; then
    COMPREPLY=($(compgen -W "list run explore bench --help --version" -- "$cur"))
    return
  fi
  case $prev in
    --set)
      if [[ $cur == *=* ]]; then  # a value: a file parameter's takes a path
        COMPREPLY=($(compgen -f -P "${cur%%=*}=" -- "${cur#*=}"))
        return
      fi
      # The keys of the lesson named on the line, from the line under its id in `list` ("  tickets=3 (...)").
      local keys
      keys=$($list 2>/dev/null | awk -v id="$lesson" '$1 == id && !/^ / {found = 1; next}
        found && /=/ {for (i = 1; i <= NF; i++) if ($i ~ /^[a-z_]+=/) {sub(/=.*/, "=", $i); print $i}; exit}')
      compopt -o nospace 2>/dev/null
      COMPREPLY=($(compgen -W "$keys" -- "$cur"))
      return ;;
    --only) COMPREPLY=($(compgen -W "trace queue lock process back pool python mpi ingest model fstrace chrome lossless" -- "$cur")); return ;;
    --schedule|--save-schedule|--trace-out|--save-trace) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --speed|--seed|--timeout|--budget|--depth|--repeats) return ;;
  esac
  local options
  case $command in
    list) options="--json --help" ;;
    run) options="--python --set --speed --seed --step --schedule --save-schedule --trace-out --save-trace --timeout --json --help" ;;
    explore) options="--set --seed --budget --depth --json --save-schedule --help" ;;
    bench) options="--json --repeats --only --scale --help" ;;
  esac
  if [[ $cur == -* || -n $lesson || $command == list || $command == bench ]]; then
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
  else  # the lesson: its id, or a Python program
    COMPREPLY=($(compgen -W "$($list 2>/dev/null | awk '!/^ / {print $1}')" -- "$cur") $(compgen -f -X '!*.py' -- "$cur"))
  fi
}
complete -F _forkscope_cli forkscope-cli
