package differential

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Simulator runs tools/iamsim/run.mjs as one long-lived process.
type Simulator struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// ErrNotInstalled marks an iam-simulate that cannot run: node is not on
// PATH or the npm package is not installed.
var ErrNotInstalled = errors.New("iam-simulate is not installed")

// Installed returns nil when iam-simulate can run from dir (tools/iamsim),
// else an ErrNotInstalled error that says what is missing and how to
// install it.
func Installed(dir string) error {
	_, errMod := os.Stat(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate", "package.json"))
	_, errNode := exec.LookPath("node")
	if errMod != nil || errNode != nil {
		return fmt.Errorf("%w (node: %v, package: %v): run `npm ci` in tools/iamsim", ErrNotInstalled, errNode, errMod)
	}
	return nil
}

// Start starts run.mjs from dir (tools/iamsim); the runner's own errors go
// to stderr. Close stops it.
func Start(dir string, stderr io.Writer) (*Simulator, error) {
	if err := Installed(dir); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("starting iam-simulate runner: %w", err)
	}
	cmd := exec.Command("node", filepath.Join(dir, "run.mjs"))
	cmd.Dir = dir
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("starting iam-simulate runner: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("starting iam-simulate runner: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting iam-simulate runner: %w", err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	return &Simulator{cmd: cmd, in: in, out: sc}, nil
}

// Close ends the runner's input and waits for it to exit, killing it after
// 10 seconds.
func (s *Simulator) Close() error {
	_ = s.in.Close()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
		return errors.New("stopping iam-simulate runner: killed after 10 s")
	}
}

// Run sends cases and returns iam-simulate's answer to each, in order.
func (s *Simulator) Run(cases []*Case) ([]*Answer, error) {
	sims := make([]map[string]any, len(cases))
	for i, c := range cases {
		sim, err := c.simulation()
		if err != nil {
			return nil, err
		}
		sims[i] = sim
	}
	errc := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(s.in)
		enc := json.NewEncoder(w)
		for i, c := range cases {
			if err := enc.Encode(map[string]any{"id": c.ID, "simulation": sims[i]}); err != nil {
				errc <- err
				return
			}
		}
		errc <- w.Flush()
	}()
	out := make([]*Answer, 0, len(cases))
	for range cases {
		if !s.out.Scan() {
			err := s.out.Err()
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("reading iam-simulate output: %w", err)
		}
		r := &Answer{}
		if err := json.Unmarshal(s.out.Bytes(), r); err != nil {
			return nil, fmt.Errorf("decoding iam-simulate output %q: %w", s.out.Text(), err)
		}
		out = append(out, r)
	}
	if err := <-errc; err != nil {
		return nil, fmt.Errorf("writing cases to iam-simulate: %w", err)
	}
	for i, r := range out {
		if r.ID != cases[i].ID {
			return nil, fmt.Errorf("iam-simulate answered %q for case %q", r.ID, cases[i].ID)
		}
	}
	return out, nil
}
