package server

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"strings"
)

// The Host and Content-Type checks keep a web page out of the API. A page
// the engineer happens to open can send requests to the daemon: to
// 127.0.0.1 directly (a "simple" cross-site POST, which the browser sends
// without asking, with a form or text/plain body), or through DNS
// rebinding (a name the page's owner controls, first pointing at the
// page's server, then at 127.0.0.1, which makes the daemon same-origin for
// the page, so that it may read the answers). With --no-auth nothing else
// stands in the way; with a token, the checks are kept as a second line.
//
//   - Host: rebinding needs a name, so a request whose Host is a DNS name
//     is served only when the name is allowed (localhost, the listen
//     address's name, AllowedHosts). An IP literal names no DNS record and
//     cannot be rebound, so it is accepted, whatever its port (probes and
//     scrapers address a pod by IP; a container's port may be mapped).
//   - Content-Type: a simple request cannot carry application/json; one
//     that does is preflighted, and the daemon answers no CORS preflight.
//     So JSON routes require it (parameters such as charset allowed).
//     https://fetch.spec.whatwg.org/#cors-safelisted-request-header

// hostSet is the DNS names a request's Host may carry, lower case, without
// a port or a trailing dot.
type hostSet map[string]bool

// newHostSet returns the set of names: localhost and names, each given as
// a name or name:port (the port is ignored).
func newHostSet(names []string) hostSet {
	hs := hostSet{"localhost": true}
	for _, n := range names {
		if h := hostName(n); h != "" {
			hs[h] = true
		}
	}
	return hs
}

// hostName returns the host of a Host header value (host, host:port,
// [v6]:port), lower case, without a trailing dot.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	return strings.ToLower(host)
}

// allows reports whether a request with Host host is served.
func (hs hostSet) allows(host string) bool {
	if host == "" {
		// HTTP/1.0 without Host: no browser sends that.
		return true
	}
	h := hostName(host)
	if net.ParseIP(h) != nil {
		return true
	}
	if i := strings.IndexByte(h, '%'); i > 0 && net.ParseIP(h[:i]) != nil {
		// An IPv6 literal with a zone.
		return true
	}
	return hs[h]
}

// checkHost refuses a request addressed to a name the daemon does not
// answer for, with 421 Misdirected Request (RFC 9110, section 15.5.20):
// the request is not forbidden to its sender (403), it reached a server
// that does not serve that name, and the answer names what to configure.
func (s *Server) checkHost(r *http.Request) error {
	if s.hosts.allows(r.Host) {
		return nil
	}
	name := hostName(r.Host)
	return apiError(http.StatusMisdirectedRequest, "host_not_allowed",
		fmt.Sprintf("this daemon does not answer for the name %q: if it is this daemon's name, add it to the daemon's allowed host names (IAMDIAG_ALLOWED_HOST=%s); names are checked so that a web page cannot reach the API through DNS rebinding", name, name))
}

// checkJSON refuses a JSON route's request whose Content-Type is not
// application/json with 415 Unsupported Media Type.
func checkJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return nil
	}
	return apiError(http.StatusUnsupportedMediaType, "unsupported_media_type",
		"send the request body as JSON with the header Content-Type: application/json")
}
