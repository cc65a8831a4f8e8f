package decode

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits of ReadCloudTrail.
const (
	// MaxCloudTrailSize bounds a CloudTrail input once decompressed. A
	// log file CloudTrail delivers holds some minutes of one account and
	// region: 10,000 records, about 5 MB, is ordinary.
	MaxCloudTrailSize = 256 << 20
	// MaxRecordSize bounds one record of a CloudTrail log file; CloudTrail
	// truncates larger request and response elements itself.
	MaxRecordSize = MaxInputSize
)

// ctLimits bound the reading of one CloudTrail input: total decompressed
// bytes, bytes read whole before streaming, and bytes of one record.
type ctLimits struct {
	total, head, record int64
}

// ReadCloudTrail reads a CloudTrail input as CloudTrail delivers it and
// returns the JSON FromCloudTrail reads: the input itself when it is at most
// MaxInputSize bytes, the first denied record of a larger log file
// ({"Records": […]}), JSON list of records or lookup-events output
// otherwise. A gzip-compressed input (as CloudTrail writes its log files to
// S3, `.json.gz`) is recognised by its magic bytes, whatever its name.
//
// A larger input is streamed record by record: memory stays bounded by
// MaxRecordSize, whatever the file's size; the whole input, decompressed,
// is bounded by MaxCloudTrailSize. Errors wrap ErrTooLarge, ErrInvalid or
// ErrNoDeniedEvent and say what to do.
func ReadCloudTrail(r io.Reader) ([]byte, error) {
	return readCloudTrail(r, ctLimits{total: MaxCloudTrailSize, head: MaxInputSize, record: MaxRecordSize})
}

func readCloudTrail(r io.Reader, lim ctLimits) ([]byte, error) {
	br := bufio.NewReader(r)
	compressed := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: reading the gzip-compressed CloudTrail input: %w", ErrInvalid, err)
		}
		defer zr.Close()
		r, compressed = zr, true
	} else {
		r = br
	}
	in := &cappedReader{r: r, left: lim.total, compressed: compressed}
	head, err := io.ReadAll(io.LimitReader(in, lim.head+1))
	if err != nil {
		return nil, in.explain(err)
	}
	if int64(len(head)) <= lim.head {
		return head, nil
	}
	w := &windowReader{r: io.MultiReader(bytes.NewReader(head), in), limit: lim.record + 64<<10}
	rec, err := streamDenied(json.NewDecoder(w), w, lim.record)
	if err != nil {
		return nil, in.explain(err)
	}
	return rec, nil
}

// errCapped is what cappedReader returns past its bound.
var errCapped = errors.New("capped")

// cappedReader reads at most left bytes, then fails with errCapped.
type cappedReader struct {
	r          io.Reader
	left       int64
	total      int64
	compressed bool
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One more byte tells a file of exactly the bound from a
		// larger one.
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, errCapped
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	c.total += int64(n)
	if c.compressed && err != nil && err != io.EOF {
		err = fmt.Errorf("%w: reading the gzip-compressed CloudTrail input: %w", ErrInvalid, err)
	}
	return n, err
}

// explain words an error met while reading the input.
func (c *cappedReader) explain(err error) error {
	switch {
	case errors.Is(err, errCapped):
		if c.compressed {
			return fmt.Errorf("%w: the CloudTrail input decompresses to more than %d bytes; give one log file, or the record itself", ErrTooLarge, c.total)
		}
		return fmt.Errorf("%w: the CloudTrail input is more than %d bytes; give one log file, or the record itself", ErrTooLarge, c.total)
	}
	return err
}

// errRecordTooLarge is what windowReader returns past its window.
var errRecordTooLarge = errors.New("record too large")

// windowReader fails with errRecordTooLarge once more than limit bytes were
// read since the last reset: the JSON decoder buffers a whole value, and
// this bounds the buffer to about one record.
type windowReader struct {
	r     io.Reader
	limit int64
	read  int64
}

func (w *windowReader) reset() { w.read = 0 }

func (w *windowReader) Read(p []byte) (int, error) {
	if w.read >= w.limit {
		return 0, errRecordTooLarge
	}
	if int64(len(p)) > w.limit-w.read {
		p = p[:w.limit-w.read]
	}
	n, err := w.r.Read(p)
	w.read += int64(n)
	return n, err
}

// streamDenied returns the first denied record of a log file, a list of
// records or lookup-events output read from dec, token by token.
func streamDenied(dec *json.Decoder, w *windowReader, maxRecord int64) ([]byte, error) {
	s := &ctStream{dec: dec, w: w, max: maxRecord}
	tok, err := s.token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('['):
		return s.records(false)
	case json.Delim('{'):
	default:
		return nil, fmt.Errorf("%w: not a CloudTrail log file (it starts with %v); give a record or a log file", ErrInvalid, tok)
	}
	for s.more() {
		key, err := s.token()
		if err != nil {
			return nil, err
		}
		switch key {
		case "Records", "Events":
			if tok, err := s.token(); err != nil {
				return nil, err
			} else if tok != json.Delim('[') {
				return nil, fmt.Errorf("%w: %s is not a list", ErrInvalid, key)
			}
			return s.records(key == "Events")
		}
		// Another member ("ResponseMetadata", "NextToken"): skipped,
		// within the bound of a record.
		if _, err := s.value(); err != nil {
			return nil, err
		}
	}
	if _, err := s.token(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w: the CloudTrail input is larger than %d bytes and holds no Records list; give one record", ErrTooLarge, MaxInputSize)
}

// ctStream reads one CloudTrail input, a bounded value at a time.
type ctStream struct {
	dec *json.Decoder
	w   *windowReader
	max int64
	n   int
}

// more reports whether the current list or object has another element; on
// false, token gives the closing delimiter or the error met.
func (s *ctStream) more() bool {
	s.w.reset()
	return s.dec.More()
}

func (s *ctStream) token() (json.Token, error) {
	s.w.reset()
	tok, err := s.dec.Token()
	return tok, s.fail(err)
}

// value reads the next value whole, at most s.max bytes of it.
func (s *ctStream) value() (json.RawMessage, error) {
	s.w.reset()
	start := s.dec.InputOffset()
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		return nil, s.fail(err)
	}
	if size := s.dec.InputOffset() - start; size > s.max {
		return nil, s.tooLarge(size)
	}
	return raw, nil
}

// records returns the first denied record of the list whose '[' was just
// read; events says each element is lookup-events' {"CloudTrailEvent":
// "<record as JSON text>"}. Elements that are no record are skipped, as
// FromCloudTrail skips them.
func (s *ctStream) records(events bool) ([]byte, error) {
	for s.more() {
		raw, err := s.value()
		if err != nil {
			return nil, err
		}
		s.n++
		if events {
			var e struct {
				CloudTrailEvent string `json:"CloudTrailEvent"`
			}
			if json.Unmarshal(raw, &e) != nil {
				continue
			}
			raw = json.RawMessage(e.CloudTrailEvent)
		}
		var rec ctRecord
		if json.Unmarshal(raw, &rec) != nil {
			continue
		}
		if rec.denied() {
			return raw, nil
		}
	}
	// The closing ']', or the error that stopped more.
	if _, err := s.token(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w: none of its %d records has an AccessDenied or UnauthorizedOperation errorCode", ErrNoDeniedEvent, s.n)
}

// fail words a decoding error: a record past the window, or bad JSON with
// its offset.
func (s *ctStream) fail(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errRecordTooLarge):
		return s.tooLarge(s.w.read)
	case errors.Is(err, errCapped), errors.Is(err, ErrInvalid):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: the CloudTrail input ends early, after record %d; give the whole file", ErrInvalid, s.n)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: reading the CloudTrail records: %w (at byte %d)", ErrInvalid, err, se.Offset)
	}
	return err
}

func (s *ctStream) tooLarge(size int64) error {
	return fmt.Errorf("%w: record %d of the CloudTrail input is more than %d bytes (%d read); give that record alone", ErrTooLarge, s.n+1, s.max, size)
}
