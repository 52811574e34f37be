// demo-service: a small Go shop API that medic's demo rescues. It has a real bug (see
// cart_buggy.go): checking out a cart that was never created writes to a nil map, which
// panics. net/http recovers the panic, so the process lives on and go_panic_total climbs.
// `go build -tags fixed` builds the fixed version (cart_fixed.go).
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	panics      atomic.Int64
	errors5xx   atomic.Int64
	orders      atomic.Int64 // registered customers
	guestOrders atomic.Int64
	requests    atomic.Int64
	degraded    atomic.Bool
	latencyMu   sync.Mutex
	latencySum  float64
	latencyN    int64
	bucketEdges = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.12, 0.25, 0.5, 1, 2.5}
	buckets     = make([]int64, len(bucketEdges))
)

func observe(seconds float64) {
	latencyMu.Lock()
	defer latencyMu.Unlock()
	latencySum += seconds
	latencyN++
	for i, edge := range bucketEdges {
		if seconds <= edge {
			buckets[i]++
		}
	}
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// instrument counts requests, latency, 5xx answers and panics. A panic is counted and
// re-raised, so net/http still recovers it and logs "http: panic serving ...".
func instrument(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: 200}
		requests.Add(1)
		defer func() {
			observe(time.Since(start).Seconds())
			if p := recover(); p != nil {
				panics.Add(1)
				errors5xx.Add(1)
				panic(p)
			}
			if sw.code >= 500 {
				errors5xx.Add(1)
			}
		}()
		next(sw, r)
	}
}

func healthz(w http.ResponseWriter, r *http.Request) {
	if degraded.Load() {
		http.Error(w, "degraded: draining\n", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintf(w, "ok %s\n", version)
}

func degrade(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only\n", http.StatusMethodNotAllowed)
		return
	}
	degraded.Store(true)
	fmt.Fprintln(w, "degraded: healthz now fails so the load balancer drains this instance")
}

func checkout(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	sku := r.URL.Query().Get("sku")
	if user == "" || sku == "" {
		http.Error(w, "user and sku required\n", http.StatusBadRequest)
		return
	}
	qty, _ := strconv.Atoi(r.URL.Query().Get("qty"))
	if qty <= 0 {
		qty = 1
	}
	time.Sleep(time.Duration(2+rand.Intn(8)) * time.Millisecond)
	cart := carts.Get(user)
	cart.Add(sku, qty)
	if strings.HasPrefix(user, "guest-") {
		guestOrders.Add(1)
	} else {
		orders.Add(1)
	}
	fmt.Fprintf(w, "ordered %d x %s for %s\n", qty, sku, user)
}

func metrics(w http.ResponseWriter, r *http.Request) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP go_panic_total Panics in request handlers.\n# TYPE go_panic_total counter\ngo_panic_total %d\n", panics.Load())
	fmt.Fprintf(&b, "# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\nhttp_requests_total %d\n", requests.Load())
	fmt.Fprintf(&b, "# HELP http_errors_total Requests answered with 5xx or a panic.\n# TYPE http_errors_total counter\nhttp_errors_total %d\n", errors5xx.Load())
	fmt.Fprintf(&b, "# HELP shop_orders_total Orders placed (the business metric).\n# TYPE shop_orders_total counter\nshop_orders_total{customer=\"registered\"} %d\nshop_orders_total{customer=\"guest\"} %d\n", orders.Load(), guestOrders.Load())
	fmt.Fprintf(&b, "# HELP go_goroutines Goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(&b, "# HELP go_memstats_heap_alloc_bytes Heap bytes allocated and in use.\n# TYPE go_memstats_heap_alloc_bytes gauge\ngo_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	fmt.Fprintf(&b, "# HELP demo_degraded 1 while the instance is draining.\n# TYPE demo_degraded gauge\ndemo_degraded %d\n", map[bool]int{false: 0, true: 1}[degraded.Load()])
	latencyMu.Lock()
	fmt.Fprintf(&b, "# HELP http_request_duration_seconds Request latency.\n# TYPE http_request_duration_seconds histogram\n")
	for i, edge := range bucketEdges {
		fmt.Fprintf(&b, "http_request_duration_seconds_bucket{le=\"%g\"} %d\n", edge, buckets[i])
	}
	fmt.Fprintf(&b, "http_request_duration_seconds_bucket{le=\"+Inf\"} %d\n", latencyN)
	fmt.Fprintf(&b, "http_request_duration_seconds_sum %g\nhttp_request_duration_seconds_count %d\n", latencySum, latencyN)
	latencyMu.Unlock()
	fmt.Fprintf(&b, "# HELP demo_build_info The running build.\n# TYPE demo_build_info gauge\ndemo_build_info{version=%q} 1\n", version)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprint(w, b.String())
}

func main() {
	addr := flag.String("listen", "127.0.0.1:8080", "address to listen on")
	pidFile := flag.String("pid-file", "", "write the pid here")
	flag.Parse()
	if *pidFile != "" {
		if err := os.WriteFile(*pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	http.HandleFunc("/healthz", healthz)
	http.HandleFunc("/metrics", metrics)
	http.HandleFunc("/admin/degrade", degrade)
	http.HandleFunc("/checkout", instrument(checkout))
	log.Printf("demo-service %s listening on %s (pid %d)", version, *addr, os.Getpid())
	keys := []string{}
	for k := range map[string]bool{"/healthz": true, "/metrics": true, "/checkout": true, "/admin/degrade": true, "/debug/pprof/": true} {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	log.Printf("endpoints: %s", strings.Join(keys, " "))
	log.Fatal(http.ListenAndServe(*addr, nil))
}
