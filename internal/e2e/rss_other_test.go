//go:build !unix

package e2e

import "os"

// maxRSS is not reported here.
func maxRSS(*os.ProcessState) int64 { return 0 }
