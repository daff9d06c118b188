// Package volumes manages named volumes: directories under the state root that outlive
// containers, with Docker's names, labels and copy-up of image content into a new empty
// volume. It knows nothing of Compose or the engine: callers say which containers use a
// volume through an inUse function.
//
// A volume's data lives in <root>/volumes/<name>/_data, the path containers mount.
//
// Bucket layout (bbolt, in the daemon's database):
//
//	volumes/<name>   JSON record: the Volume, plus
//	                 "Removing": true   removal began; Open finishes it
//	                 "CopyUp": "copying" a copy-up began; Open empties _data and resets it
//	                 "CopyUp": "done"    image content was copied in once; never again
//
// Every change follows the record: Create records the volume before making its
// directory (Open makes any directory that is missing), Remove marks the record before
// deleting the directory and deletes the record last, so a daemon killed at any point
// finds on Open either a whole volume or none.
package volumes
