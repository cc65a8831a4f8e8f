package policy

// The value parsers of the condition operators: each reads a policy or
// request value the way its operator family compares it (booleans,
// decimal numbers, dates, base64, IP addresses and CIDR blocks, and the
// six components of an ARN), and reports whether the value parses. The
// operators themselves are in condition.go.

import (
	"encoding/base64"
	"net/netip"
	"strings"
	"time"
)

// parseBool reads "true" or "false" in any case.
func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// decimal is an exact decimal number: its significant digits d (no leading
// or trailing zeros; the virtual concatenation of hi and lo) and exp, the
// position of the decimal point counted from the first digit
// (value = 0.d × 10^exp). Zero has no digits.
type decimal struct {
	neg    bool
	hi, lo string
	exp    int
}

func (d decimal) ndigits() int { return len(d.hi) + len(d.lo) }

func (d decimal) digit(i int) byte {
	if i < len(d.hi) {
		return d.hi[i]
	}
	return d.lo[i-len(d.hi)]
}

// cmp compares d with e: -1, 0 or +1.
func (d decimal) cmp(e decimal) int {
	dz, ez := d.ndigits() == 0, e.ndigits() == 0
	switch {
	case dz && ez:
		return 0
	case dz:
		if e.neg {
			return 1
		}
		return -1
	case ez:
		if d.neg {
			return -1
		}
		return 1
	}
	if d.neg != e.neg {
		if d.neg {
			return -1
		}
		return 1
	}
	sign := 1
	if d.neg {
		sign = -1
	}
	if d.exp != e.exp {
		if d.exp < e.exp {
			return -sign
		}
		return sign
	}
	n, m := d.ndigits(), e.ndigits()
	for i := 0; i < n && i < m; i++ {
		if a, b := d.digit(i), e.digit(i); a != b {
			if a < b {
				return -sign
			}
			return sign
		}
	}
	switch {
	case n < m:
		return -sign
	case n > m:
		return sign
	}
	return 0
}

// maxExponent bounds the exponent of a numeric value.
const maxExponent = 100000

// parseDecimal reads an integer or decimal number, as numeric condition
// operators compare
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Numeric):
// an optional sign, digits with an optional fraction, and an optional
// exponent as JSON numbers may carry ("1e3"). Comparison is exact: no
// rounding through float64.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[start:i]
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[fs:i]
	}
	if intPart == "" && frac == "" {
		return decimal{}, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		es := i
		for i < len(s) && isDigit(s[i]) {
			if exp < maxExponent {
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if i == es || exp >= maxExponent {
			return decimal{}, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return decimal{}, false
	}
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	d.exp = len(intPart) + exp
	if intPart == "" {
		t := strings.TrimLeft(frac, "0")
		d.exp -= len(frac) - len(t)
		frac = t
		d.hi, d.lo = frac, ""
	} else {
		d.hi, d.lo = intPart, frac
		if frac == "" {
			d.hi = strings.TrimRight(intPart, "0")
		}
	}
	if d.ndigits() == 0 {
		d.neg, d.exp = false, 0
	}
	return d, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// instant is a point in time at nanosecond precision.
type instant struct {
	sec  int64
	nsec int32
}

func (a instant) cmp(b instant) int {
	switch {
	case a.sec < b.sec:
		return -1
	case a.sec > b.sec:
		return 1
	case a.nsec < b.nsec:
		return -1
	case a.nsec > b.nsec:
		return 1
	}
	return 0
}

// parseDate reads a date as date condition operators accept them: one of the
// W3C profiles of ISO 8601 (YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm,
// YYYY-MM-DDThh:mm:ss, YYYY-MM-DDThh:mm:ss.s…, each time with a zone "Z",
// "±hh:mm", "±hhmm" or "±hh", or none for UTC) or epoch (UNIX) seconds with
// an optional fraction
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date,
// https://www.w3.org/TR/NOTE-datetime). A string of digits only is read as
// epoch seconds, as aws:EpochTime carries them, so a bare year "2020" is the
// epoch time 2020, not the year.
func parseDate(s string) (instant, bool) {
	if t, ok := parseEpoch(s); ok {
		return t, true
	}
	return parseISO(s)
}

func parseEpoch(s string) (instant, bool) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	start := i
	var sec int64
	for i < len(s) && isDigit(s[i]) {
		if sec > (1<<62)/10 {
			return instant{}, false
		}
		sec = sec*10 + int64(s[i]-'0')
		i++
	}
	if i == start {
		return instant{}, false
	}
	var nsec int32
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		scale := int32(100000000)
		for i < len(s) && isDigit(s[i]) {
			nsec += int32(s[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == fs {
			return instant{}, false
		}
	}
	if i != len(s) {
		return instant{}, false
	}
	if neg {
		sec = -sec
		if nsec > 0 {
			sec--
			nsec = 1e9 - nsec
		}
	}
	return instant{sec, nsec}, true
}

func parseISO(s string) (instant, bool) {
	num := func(i, n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for k := i; k < i+n; k++ {
			if !isDigit(s[k]) {
				return 0, false
			}
			v = v*10 + int(s[k]-'0')
		}
		return v, true
	}
	year, ok := num(0, 4)
	if !ok {
		return instant{}, false
	}
	month, day := 1, 1
	var hour, minute, second, nsec int
	i := 4
	if i < len(s) && s[i] == '-' {
		if month, ok = num(i+1, 2); !ok || month < 1 || month > 12 {
			return instant{}, false
		}
		i += 3
		if i < len(s) && s[i] == '-' {
			if day, ok = num(i+1, 2); !ok || day < 1 || day > daysIn(year, month) {
				return instant{}, false
			}
			i += 3
			if i < len(s) && (s[i] == 'T' || s[i] == 't') {
				if hour, ok = num(i+1, 2); !ok || hour > 23 || i+3 >= len(s) || s[i+3] != ':' {
					return instant{}, false
				}
				if minute, ok = num(i+4, 2); !ok || minute > 59 {
					return instant{}, false
				}
				i += 6
				if i < len(s) && s[i] == ':' {
					if second, ok = num(i+1, 2); !ok || second > 59 {
						return instant{}, false
					}
					i += 3
					if i < len(s) && (s[i] == '.' || s[i] == ',') {
						i++
						fs := i
						scale := 100000000
						for i < len(s) && isDigit(s[i]) {
							nsec += int(s[i]-'0') * scale
							scale /= 10
							i++
						}
						if i == fs {
							return instant{}, false
						}
					}
				}
				off, ok := parseZone(s[i:])
				if !ok {
					return instant{}, false
				}
				t := time.Date(year, time.Month(month), day, hour, minute, second, nsec, time.UTC)
				return instant{t.Unix() - int64(off), int32(t.Nanosecond())}, true
			}
		}
	}
	if i != len(s) {
		return instant{}, false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return instant{t.Unix(), 0}, true
}

// parseZone reads a zone designator ("", "Z", "±hh:mm", "±hhmm", "±hh") and
// returns its offset east of UTC in seconds.
func parseZone(z string) (int, bool) {
	switch {
	case z == "":
		return 0, true
	case z == "Z" || z == "z":
		return 0, true
	case z[0] != '+' && z[0] != '-':
		return 0, false
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	z = z[1:]
	two := func(s string) (int, bool) {
		if len(s) != 2 || !isDigit(s[0]) || !isDigit(s[1]) {
			return 0, false
		}
		return int(s[0]-'0')*10 + int(s[1]-'0'), true
	}
	var hh, mm string
	switch len(z) {
	case 2:
		hh = z
		mm = "00"
	case 4:
		hh, mm = z[:2], z[2:]
	case 5:
		if z[2] != ':' {
			return 0, false
		}
		hh, mm = z[:2], z[3:]
	default:
		return 0, false
	}
	h, ok1 := two(hh)
	m, ok2 := two(mm)
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// decodeBase64 decodes standard base64, with or without padding.
func decodeBase64(s string) ([]byte, bool) {
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, false
	}
	return b, true
}

// parsePolicyIP reads a CIDR block or a bare address, which means /32 (or
// /128 for IPv6)
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress).
// Host bits are ignored ("203.0.113.7/24" is 203.0.113.0/24), and an
// IPv4-mapped IPv6 block is read as the IPv4 block it maps.
func parsePolicyIP(s string) (netip.Prefix, bool) {
	var pfx netip.Prefix
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		pfx = p
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
		pfx = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96)
	}
	return pfx.Masked(), true
}

// parseRequestIP reads a request's address; an IPv4-mapped IPv6 address is
// read as the IPv4 address it maps.
func parseRequestIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// splitARNSegments splits an ARN (or ARN pattern) into its six colon-separated
// components; the last, the resource, may itself contain colons.
func splitARNSegments(s string) ([6]string, bool) {
	var parts [6]string
	for i := 0; i < 5; i++ {
		before, after, ok := strings.Cut(s, ":")
		if !ok {
			return parts, false
		}
		parts[i] = before
		s = after
	}
	parts[5] = s
	return parts, true
}
