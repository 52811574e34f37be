// load: steady checkout traffic for the demo. Registered customers at -registered per
// second all along; guests (whose checkout hits the bug) at -guest per second from
// -guest-after on. Runs until killed.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"time"
)

func send(client *http.Client, url string) {
	resp, err := client.Get(url)
	if err == nil {
		resp.Body.Close()
	}
}

func ticker(rate float64, fn func(i int)) {
	if rate <= 0 {
		return
	}
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	for i := 0; ; i++ {
		<-t.C
		go fn(i)
	}
}

func main() {
	target := flag.String("target", "http://127.0.0.1:8080", "service base URL")
	registered := flag.Float64("registered", 20, "registered checkouts per second")
	guest := flag.Float64("guest", 5, "guest checkouts per second")
	guestAfter := flag.Duration("guest-after", 10*time.Second, "when guest traffic starts")
	flag.Parse()
	client := &http.Client{Timeout: 2 * time.Second}
	go ticker(*registered, func(i int) {
		send(client, fmt.Sprintf("%s/checkout?user=user-%d&sku=book", *target, i%50))
	})
	time.Sleep(*guestAfter)
	ticker(*guest, func(i int) {
		send(client, fmt.Sprintf("%s/checkout?user=guest-%d&sku=mug", *target, i))
	})
}
