package gitref

import "testing"

func TestParseLsTree(t *testing.T) {
	out := []byte("100644 blob 1111111111111111111111111111111111111111     120\tdata/big.bin.pin\x00" +
		"120000 blob 2222222222222222222222222222222222222222      10\tlink.pin\x00" +
		"100644 blob 3333333333333333333333333333333333333333       5\tdds.yaml\x00" +
		"160000 commit 4444444444444444444444444444444444444444       -\tsub.pin\x00")
	files, err := parseLsTree(out, ".pin")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != "data/big.bin.pin" || files[0].Size != 120 {
		t.Fatalf("got %+v", files)
	}
	if _, err := parseLsTree([]byte("garbage\x00"), ".pin"); err == nil {
		t.Fatal("a line without a tab was read")
	}
}
