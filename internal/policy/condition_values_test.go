package policy

import "testing"

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1", "1", 0}, {"1", "2", -1}, {"10", "9", 1}, {"0.1", "0.10", 0}, {"100", "1e2", 0},
		{"-1", "1", -1}, {"-2", "-1", -1}, {"0", "-0", 0}, {"0.001", "0", 1}, {"-0.001", "0", -1},
		{"123.456", "123.4560", 0}, {"123.456", "123.457", -1}, {"1000", "999.999", 1},
		{"12345678901234567890", "12345678901234567891", -1}, {"1.5E-3", "0.0015", 0}, {"+7", "7", 0},
		{"00012", "12.0", 0}, {"5.", "5", 0}, {"0.5", ".5", 0}, {"120", "12e1", 0}, {"1200", "12e1", 1},
	}
	for _, tc := range tests {
		a, ok1 := parseDecimal(tc.a)
		b, ok2 := parseDecimal(tc.b)
		if !ok1 || !ok2 {
			t.Errorf("parseDecimal(%q), parseDecimal(%q) failed", tc.a, tc.b)
			continue
		}
		if got := a.cmp(b); got != tc.want {
			t.Errorf("cmp(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := b.cmp(a); got != -tc.want {
			t.Errorf("cmp(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
	for _, bad := range []string{"", "-", ".", "e1", "1e", "1e+", "1.2.3", "1,5", "NaN", "Inf", "0x1", " 1", "1 ", "1e999999"} {
		if _, ok := parseDecimal(bad); ok {
			t.Errorf("parseDecimal(%q) succeeded, want failure", bad)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		sec  int64
		nsec int32
	}{
		{"2020-01-01T00:00:00Z", 1577836800, 0},
		{"2020-01-01", 1577836800, 0},
		{"2020-01", 1577836800, 0},
		{"2020-01-01T00:00Z", 1577836800, 0},
		{"2020-01-01T01:00:00+01:00", 1577836800, 0},
		{"2020-01-01T01:00:00+01", 1577836800, 0},
		{"2020-01-01t00:00:00z", 1577836800, 0},
		{"2020-01-01T00:00:00.123456789Z", 1577836800, 123456789},
		{"2020-01-01T00:00:00.1234567891Z", 1577836800, 123456789},
		{"1577836800", 1577836800, 0},
		{"1577836800.25", 1577836800, 250000000},
		{"-1.5", -2, 500000000},
	}
	for _, tc := range tests {
		got, ok := parseDate(tc.in)
		if !ok || got != (instant{tc.sec, tc.nsec}) {
			t.Errorf("parseDate(%q) = %v, %v; want {%d %d}", tc.in, got, ok, tc.sec, tc.nsec)
		}
	}
	for _, bad := range []string{"", "2020-1-01", "2020-01-32", "2020-00-01", "2020-01-01T24:00:00Z", "2020-01-01T00:60Z",
		"2020-01-01T00:00:00+25:00", "2020-01-01T00:00:00.Z", "2020-01-01T00", "2020-01-01 00:00:00", "20200101T000000Z", "1e9", "2020-01-01T00:00:00Zjunk"} {
		if _, ok := parseDate(bad); ok {
			t.Errorf("parseDate(%q) succeeded, want failure", bad)
		}
	}
}
