// Package graph orders nodes by their dependencies and walks them in parallel.
// It knows nothing about Compose.
//
// An edge runs from a node to a node it needs: after g.Add("web", "db"), web
// depends on db, db comes first in [Graph.Order], and [Walk] starts web only
// once db has finished successfully. With [WalkOptions.Reverse] the edges are
// followed the other way, so dependents stop before what they depend on.
//
// Results are deterministic wherever the graph allows it: lists are sorted by
// key and ties in an order are broken by key.
package graph
