//go:build !fixed

package main

import "strings"

const version = "1.4.2"

// Get returns the user's cart. BUG: guest checkout builds its cart by hand and skips
// newCart, so the items map is nil and Cart.Add panics writing to it.
func (c *Carts) Get(user string) *Cart {
	c.mu.Lock()
	defer c.mu.Unlock()
	cart, ok := c.carts[user]
	if !ok {
		if strings.HasPrefix(user, "guest-") {
			cart = &Cart{}
		} else {
			cart = newCart()
		}
		c.carts[user] = cart
	}
	return cart
}
