package main

import "sync"

// Cart holds one user's items.
type Cart struct {
	mu    sync.Mutex
	items map[string]int
}

func newCart() *Cart { return &Cart{items: map[string]int{}} }

// Carts is the in-memory cart store.
type Carts struct {
	mu    sync.Mutex
	carts map[string]*Cart
}

var carts = &Carts{carts: map[string]*Cart{}}

// Add puts qty of sku in the cart.
func (c *Cart) Add(sku string, qty int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items[sku] += qty
}
