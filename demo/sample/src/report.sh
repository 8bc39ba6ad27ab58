# report IN OUT: a short text report.
. src/lib/param.sh
title=$(param params.yaml report title)
{
  echo "$title"
  echo "----------------"
  awk -F, 'NR > 1 { printf "%-6s mean %6s  range %5s\n", $1, $2, $3 }' "$1"
} > "$2"
