# bash completion for vltava: `source scripts/completion/vltava.bash` (or copy it into
# /etc/bash_completion.d/). Completes nouns, verbs, options, and topic names (asks the cluster
# with `vltava topic list`, 2 s at most).

_vltava_topics() {
  local brokers=()
  local i
  for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
    case "${COMP_WORDS[i]}" in -b | --brokers) brokers=(-b "${COMP_WORDS[i + 1]}") ;; esac
  done
  vltava topic list "${brokers[@]}" --timeout-ms 2000 --json 2>/dev/null |
    tr ',' '\n' | sed -n 's/.*"name":"\([^"]*\)".*/\1/p'
}

_vltava() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local noun=${COMP_WORDS[1]} verb=${COMP_WORDS[2]}
  local common="-b --brokers --timeout-ms -X --property -v --verbose -h --help"
  if ((COMP_CWORD == 1)); then
    COMPREPLY=($(compgen -W "serve version help topic produce consume group cluster config perf" -- "$cur"))
    return
  fi
  if ((COMP_CWORD == 2)); then
    case "$noun" in
      topic) COMPREPLY=($(compgen -W "create list describe delete alter-config add-partitions" -- "$cur")) ;;
      group) COMPREPLY=($(compgen -W "list describe reset-offsets delete" -- "$cur")) ;;
      cluster) COMPREPLY=($(compgen -W "info quorum" -- "$cur")) ;;
      config) COMPREPLY=($(compgen -W "get set" -- "$cur")) ;;
      perf) COMPREPLY=($(compgen -W "produce consume" -- "$cur")) ;;
      produce | consume)
        if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$common" -- "$cur"));
        else COMPREPLY=($(compgen -W "$(_vltava_topics)" -- "$cur")); fi ;;
      serve) COMPREPLY=($(compgen -W "--config --set --help" -- "$cur")) ;;
    esac
    return
  fi
  local opts=""
  case "$noun $verb" in
    "topic create") opts="-p --partitions -r --replication-factor -c --config" ;;
    "topic list") opts="-i --internal --json" ;;
    "topic describe") opts="-a --all-configs --no-configs" ;;
    "topic alter-config") opts="-s --set -d --delete" ;;
    "topic add-partitions") opts="-n --count -t --total" ;;
    "produce "*) opts="-f --file -k --key-separator -F --format -H --header -p --partition -z --compression --acks --idempotent --linger-ms --max-line-bytes" ;;
    "consume "*) opts="-g --group -o --offset -p --partition -n --count --follow -f --format --json --read-committed" ;;
    "group describe") opts="--offsets-only" ;;
    "group reset-offsets") opts="-t --topic --to-earliest --to-latest --to-offset --to-datetime --shift-by --execute" ;;
    "cluster info") opts="--json" ;;
    "cluster quorum") opts="--status --replication --json" ;;
    "config get") opts="--all topic broker" ;;
    "config set") opts="--delete topic broker" ;;
    "perf produce") opts="-n --records -s --record-size --rate --acks -z --compression --linger-ms --batch-size --json -q --quiet" ;;
    "perf consume") opts="-n --records -g --group --json -q --quiet" ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts $common" -- "$cur"))
  elif [[ $noun == topic || $noun == perf || ${COMP_WORDS[COMP_CWORD - 1]} == --topic ||
          ${COMP_WORDS[COMP_CWORD - 1]} == -t ]]; then
    COMPREPLY=($(compgen -W "$(_vltava_topics)" -- "$cur"))
  fi
}
complete -F _vltava vltava
