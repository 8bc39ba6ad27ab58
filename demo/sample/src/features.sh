# features IN OUT: per-city mean temperature and range.
sleep 1 # stands in for minutes of real work
{
  echo "city,mean,range"
  awk -F, '
    NR == 1 { next }
    { s[$1] += $3; n[$1]++
      if (!($1 in lo) || $3 < lo[$1]) lo[$1] = $3
      if (!($1 in hi) || $3 > hi[$1]) hi[$1] = $3 }
    END { for (c in s) printf "%s,%.2f,%.2f\n", c, s[c] / n[c], hi[c] - lo[c] }' "$1" | sort
} > "$2"
