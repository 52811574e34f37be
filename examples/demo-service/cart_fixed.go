//go:build fixed

package main

const version = "1.4.3"

// Get returns the user's cart; every cart, guest or not, comes from newCart.
func (c *Carts) Get(user string) *Cart {
	c.mu.Lock()
	defer c.mu.Unlock()
	cart, ok := c.carts[user]
	if !ok {
		cart = newCart()
		c.carts[user] = cart
	}
	return cart
}
