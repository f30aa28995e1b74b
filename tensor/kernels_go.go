//go:build !cgo || noblas

package tensor

// KernelISA names the instruction set the vector kernels run on; builds
// without cgo run the scalar Go references.
var KernelISA = "go"

func useKernels(string) string { return "go" }

var (
	vkExp            = refExp
	vkLogSumExp      = refLogSumExp
	vkSoftmax        = refSoftmax
	vkAttnSoftmax    = refAttnSoftmax
	vkAttnSoftmaxBwd = refAttnSoftmaxBwd
	vkGELUFwd        = refGELUFwd
	vkGELUBwd        = refGELUBwd
	vkAdd            = refAdd
	vkAcc            = refAcc
	vkColSum         = refColSum
	vkLayerNormFwd   = refLayerNormFwd
	vkLayerNormBwd   = refLayerNormBwd
	vkCEGrad         = refCEGrad
	vkAdamW          = refAdamW
)
