"""convalgebra.signal: resampling, filter banks and wavelets built from the algebra.

SciPy's ``upfirdn``, ``resample_poly`` and FIR ``decimate``, and PyWavelets' discrete wavelet
transforms (``dwt``/``idwt``, ``wavedec``/``waverec``, 2-D and N-D, stationary ``swt``/``iswt``)
in every signal-extension mode, with the same values. Neither SciPy nor PyWavelets is needed at
run time; wavelet *names* need PyWavelets (the ``signal`` extra), filters given as arrays do not.
"""

from ._extend import MODES as EXTEND_MODES
from ._extend import PYWT_MODES as PYWT_MODES
from ._extend import SCIPY_MODES as SCIPY_MODES
from ._extend import Extend as Extend
from ._extend import extend as extend
from ._multi import cascade as cascade
from ._multi import dwt2_bank as dwt2_bank
from ._multi import dwt_bank as dwt_bank
from ._multi import nest as nest
from ._multi import on_low as on_low
from ._multi import wavedec_bank as wavedec_bank
from ._upfirdn import decimate as decimate
from ._upfirdn import firwin_lowpass as firwin_lowpass
from ._upfirdn import resample_poly as resample_poly
from ._upfirdn import resample_poly_op as resample_poly_op
from ._upfirdn import upfirdn as upfirdn
from ._upfirdn import upfirdn_length as upfirdn_length
from ._upfirdn import upfirdn_op as upfirdn_op
from ._wavelets import Wavelet as Wavelet
from ._wavelets import analysis_op as analysis_op
from ._wavelets import dwt as dwt
from ._wavelets import dwt2 as dwt2
from ._wavelets import dwt_length as dwt_length
from ._wavelets import dwt_max_level as dwt_max_level
from ._wavelets import dwtn as dwtn
from ._wavelets import idwt as idwt
from ._wavelets import idwt2 as idwt2
from ._wavelets import idwtn as idwtn
from ._wavelets import iswt as iswt
from ._wavelets import swt as swt
from ._wavelets import swt_max_level as swt_max_level
from ._wavelets import swt_op as swt_op
from ._wavelets import synthesis_op as synthesis_op
from ._wavelets import synthesis_ops as synthesis_ops
from ._wavelets import wavedec as wavedec
from ._wavelets import wavedec2 as wavedec2
from ._wavelets import wavelet as wavelet
from ._wavelets import waverec as waverec
from ._wavelets import waverec2 as waverec2

__all__ = [
    "EXTEND_MODES",
    "PYWT_MODES",
    "SCIPY_MODES",
    "Extend",
    "Wavelet",
    "analysis_op",
    "cascade",
    "decimate",
    "dwt",
    "dwt2",
    "dwt2_bank",
    "dwt_bank",
    "dwt_length",
    "dwt_max_level",
    "dwtn",
    "extend",
    "firwin_lowpass",
    "idwt",
    "idwt2",
    "idwtn",
    "iswt",
    "nest",
    "on_low",
    "resample_poly",
    "resample_poly_op",
    "swt",
    "swt_max_level",
    "swt_op",
    "synthesis_op",
    "synthesis_ops",
    "upfirdn",
    "upfirdn_length",
    "upfirdn_op",
    "wavedec",
    "wavedec2",
    "wavedec_bank",
    "wavelet",
    "waverec",
    "waverec2",
]
