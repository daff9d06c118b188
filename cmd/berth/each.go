package main

import (
	"context"
	"fmt"
	"os"
)

// forEach applies fn to each name in turn, as docker does for commands taking several
// containers or images: a failure is reported and the rest still run; the exit code is 1
// if any failed. With echo, each name that succeeded is printed on stdout.
func forEach(ctx context.Context, names []string, echo bool, fn func(ctx context.Context, name string) error) error {
	failed := 0
	for _, name := range names {
		if err := fn(ctx, name); err != nil {
			fmt.Fprintf(os.Stderr, "berth: %v\n", err)
			failed++
			continue
		}
		if echo {
			fmt.Println(name)
		}
	}
	if failed > 0 {
		return &exitError{code: 1}
	}
	return nil
}
