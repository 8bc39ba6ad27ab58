# param FILE SECTION KEY: the value of a two-level key of a small YAML file.
param() {
  awk -v section="$2:" -v key="$3:" '
    $1 == section { inside = 1; next }
    /^[^ #]/      { inside = 0 }
    inside && $1 == key { sub(/^[^:]*:[ ]*/, ""); sub(/[ ]*#.*$/, ""); print; exit }
  ' "$1"
}
