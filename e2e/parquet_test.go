package e2e

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
)

// parquetRow is the schema of the files parquet-rows writes: a name and
// its position, so that a reader that mixed up rows or columns shows it.
type parquetRow struct {
	Name string `parquet:"name"`
	N    int64  `parquet:"n"`
}

// parquetRowsMain is the parquet-rows program of the scripts: a stage
// writes real Parquet with it, and a script or a downstream stage reads it
// back through parquet-go's reader, a reader apart from git dds's own
// format check, which only looks at the footer's magic.
//
//	parquet-rows write FILE NAME...   one row {name, n} per NAME, n from 1
//	parquet-rows read FILE            prints each row as "name n", one a line
func parquetRowsMain() {
	if err := parquetRows(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "parquet-rows: %v\n", err)
		os.Exit(1)
	}
}

func parquetRows(args []string, stdout io.Writer) error {
	const usage = "usage: parquet-rows write FILE NAME... | parquet-rows read FILE"
	if len(args) < 2 {
		return errors.New(usage)
	}
	switch file := args[1]; args[0] {
	case "write":
		if len(args) < 3 {
			return fmt.Errorf("write %s: no NAME given; %s", file, usage)
		}
		rows := make([]parquetRow, 0, len(args)-2)
		for i, name := range args[2:] {
			rows = append(rows, parquetRow{Name: name, N: int64(i + 1)})
		}
		return writeParquet(file, rows)
	case "read":
		if len(args) != 2 {
			return errors.New(usage)
		}
		rows, err := parquet.ReadFile[parquetRow](file)
		if err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		for _, r := range rows {
			if _, err := fmt.Fprintf(stdout, "%s %d\n", r.Name, r.N); err != nil {
				return fmt.Errorf("printing the rows of %s: %w", file, err)
			}
		}
		return nil
	default:
		return fmt.Errorf("unknown command %q; %s", args[0], usage)
	}
}

// writeParquet writes rows to file; parquet.WriteFile would not report an
// error of the file's Close, which a full disk may give.
func writeParquet(file string, rows []parquetRow) error {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := parquet.Write(f, rows); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}
