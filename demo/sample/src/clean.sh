# clean IN OUT: fill missing temperatures with the mean or median of the city.
. src/lib/param.sh
method=$(param params.yaml clean impute)
sleep 1 # stands in for minutes of real work
awk -F, -v method="$method" '
  NR == 1 { print; next }
  { rows[NR] = $0; city[NR] = $1; day[NR] = $2; temp[NR] = $3
    if ($3 != "") { n[$1]++; sum[$1] += $3; vals[$1, n[$1]] = $3 } }
  END {
    for (c in n) {
      if (method == "median") {
        # insertion sort of the few readings of one city
        for (i = 2; i <= n[c]; i++) { v = vals[c, i]; j = i - 1
          while (j > 0 && vals[c, j] > v) { vals[c, j + 1] = vals[c, j]; j-- }
          vals[c, j + 1] = v }
        m = (n[c] % 2) ? vals[c, (n[c] + 1) / 2] : (vals[c, n[c] / 2] + vals[c, n[c] / 2 + 1]) / 2
      } else { m = sum[c] / n[c] }
      fill[c] = m
    }
    for (i = 2; i <= NR; i++) {
      t = temp[i] == "" ? sprintf("%.2f", fill[city[i]]) : temp[i]
      print city[i] "," day[i] "," t
    }
  }' "$1" > "$2"
