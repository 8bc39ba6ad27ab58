package cli

import (
	"bytes"
	"html/template"

	"github.com/git-dds/git-dds/internal/results"
)

// comparePage is the compare table as a self-contained HTML page: no
// script or style from the network, so it opens offline and can be
// attached to a CI run. A click on a column header sorts by it.
var comparePage = template.Must(template.New("compare").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>git dds compare</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1f2328; }
table { border-collapse: collapse; }
th, td { padding: 4px 10px; border-bottom: 1px solid #d0d7de; text-align: left; white-space: nowrap; }
th { cursor: pointer; background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.computed td.state { color: #1a7f37; }
tr.stale td.state, tr.lost td.state { color: #9a6700; }
tr.remote td.state { color: #8250df; }
tr.unreadable td.state { color: #cf222e; }
p.note { color: #59636e; }
</style>
</head>
<body>
<h1>git dds compare</h1>
{{if .Rows}}<table id="compare">
<thead><tr><th>ref</th><th>state</th>{{range .Params}}<th>{{.}}</th>{{end}}{{range .Metrics}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr class="{{.State}}"><td>{{.Ref}}</td><td class="state">{{.State}}</td>{{range .Params}}<td class="num">{{.}}</td>{{end}}{{range .Metrics}}<td class="num">{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>{{else}}<p>No ref to compare.</p>{{end}}
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}<script>
document.querySelectorAll("#compare th").forEach(function (th, col) {
  var desc = false;
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var key = function (r) { var v = parseFloat(r.cells[col].textContent); return isNaN(v) ? null : v; };
    desc = !desc;
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === null || y === null) {
        if (x === null && y === null) { return a.cells[col].textContent.localeCompare(b.cells[col].textContent) * (desc ? -1 : 1); }
        return x === null ? 1 : -1;
      }
      return desc ? y - x : x - y;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
</script>
</body>
</html>
`))

type pageRow struct {
	Ref, State      string
	Params, Metrics []string
}

// comparePageOf renders c as the HTML page, with the notes the text
// prints under its table.
func comparePageOf(c *results.Comparison) ([]byte, error) {
	data := struct {
		Params, Metrics, Notes []string
		Rows                   []pageRow
	}{Params: c.Params, Metrics: c.Metrics}
	states := map[results.State]bool{}
	for _, r := range c.Rows {
		states[r.State] = true
		row := pageRow{Ref: r.Label(), State: string(r.State)}
		if row.State == "" {
			row.State = "-"
		}
		for _, p := range c.Params {
			row.Params = append(row.Params, rawCell(r.Params[p]))
		}
		for _, m := range c.Metrics {
			row.Metrics = append(row.Metrics, valueCell(r.Metrics[m]))
		}
		data.Rows = append(data.Rows, row)
	}
	data.Notes = stateNotes(states)
	var buf bytes.Buffer
	err := comparePage.Execute(&buf, data)
	return buf.Bytes(), err
}
