package pipeline

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// plots reads the plots of a stage: a list whose items are a path alone,
// or, as DVC writes them, a path mapped to the columns it draws:
//
//	plots:
//	  - out/loss.csv
//	  - out/roc.json: {x: fpr, y: tpr}
//	  - out/acc.csv: {x: epoch, y: [train, test]}
func (r *reader) plots(stage string, f entry) ([]string, []position, []PlotAxes, error) {
	const want = "a list of paths, each alone or mapped to its x and y columns"
	items, err := r.list(stage, f, want, fmt.Sprintf("write it as a list: plots: [%s]", exampleValue(f.at, "PATH")))
	if err != nil {
		return nil, nil, nil, err
	}
	pathNodes := make([]*yaml.Node, len(items))
	var axes []PlotAxes
	for i, item := range items {
		pathNodes[i] = item
		if item.Kind != yaml.MappingNode || len(item.Content) == 0 {
			continue
		}
		if len(item.Content) != 2 {
			return nil, nil, nil, r.errorAt(item, fmt.Sprintf("each plots file of stage %q maps one path to its columns, not %d", stage, len(item.Content)/2),
				"write one path per item: - PATH: {x: COLUMN, y: COLUMN}")
		}
		key, opts := resolve(item.Content[0]), resolve(item.Content[1])
		pathNodes[i] = key
		a, err := r.plotAxes(stage, key, opts)
		if err != nil {
			return nil, nil, nil, err
		}
		axes = append(axes, a)
	}
	paths, positions, err := r.pathItems(stage, "plots file", f, pathNodes)
	if err != nil {
		return nil, nil, nil, err
	}
	// The axes name the cleaned path, as Plots does.
	j := 0
	for i, item := range items {
		if item.Kind == yaml.MappingNode && len(item.Content) > 0 {
			axes[j].File = paths[i]
			j++
		}
	}
	return paths, positions, axes, nil
}

// plotAxes reads the options of one plots file: x, a column, and y, a
// column or a list of them.
func (r *reader) plotAxes(stage string, key, opts *yaml.Node) (PlotAxes, error) {
	a := PlotAxes{}
	if isNull(opts) {
		return a, nil
	}
	if opts.Kind != yaml.MappingNode {
		return a, r.errorAt(opts, fmt.Sprintf("the options of plots file %s of stage %q must be a mapping of x and y, not %s", key.Value, stage, describe(opts)),
			fmt.Sprintf("write them as - %s: {x: COLUMN, y: COLUMN}", key.Value))
	}
	fields, err := r.mapping(opts, func(k string, first, again int) (string, string) {
		return fmt.Sprintf("key %q appears twice for plots file %s %s", k, key.Value, twice(first, again)), "keep one"
	})
	if err != nil {
		return a, err
	}
	if err := r.count(key, len(fields)); err != nil {
		return a, err
	}
	column := func(n *yaml.Node, what string) (string, error) {
		if n.Kind != yaml.ScalarNode || isNull(n) || n.Value == "" {
			return "", r.errorAt(n, fmt.Sprintf("%s of plots file %s must name a column, not %s", what, key.Value, describe(n)),
				"write the column's name as the header or the JSON rows give it")
		}
		return n.Value, nil
	}
	for _, fl := range fields {
		switch fl.key {
		case "x":
			if a.X, err = column(fl.at, "x"); err != nil {
				return a, err
			}
		case "y":
			ys := []*yaml.Node{fl.at}
			if fl.at.Kind == yaml.SequenceNode {
				ys = fl.at.Content
				if err := r.count(fl.keyNode, len(ys)); err != nil {
					return a, err
				}
			}
			for _, y := range ys {
				name, err := column(resolve(y), "y")
				if err != nil {
					return a, err
				}
				a.Y = append(a.Y, name)
			}
		default:
			return a, r.errorAt(fl.keyNode, fmt.Sprintf("unknown key %q for plots file %s of stage %q", fl.key, key.Value, stage),
				"a plots file takes x (the column along the horizontal axis) and y (a column or a list of them)")
		}
	}
	return a, nil
}
