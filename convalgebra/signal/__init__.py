"""convalgebra.signal: resampling, filter banks and wavelets built from the algebra.

SciPy's ``upfirdn``, ``resample_poly`` and FIR ``decimate``, and PyWavelets' discrete wavelet
transforms (``dwt``/``idwt``, ``wavedec``/``waverec``, 2-D and N-D, stationary ``swt``/``iswt``)
in every signal-extension mode, with the same values. Neither SciPy nor PyWavelets is needed at
run time; wavelet *names* need PyWavelets (the ``signal`` extra), filters given as arrays do not.
"""

from ._dwt import analysis_op as analysis_op
from ._dwt import dwt as dwt
from ._dwt import idwt as idwt
from ._dwt import synthesis_op as synthesis_op
from ._dwt import synthesis_ops as synthesis_ops
from ._extend import MODES as EXTEND_MODES
from ._extend import Extend as Extend
from ._extend import extend as extend
from ._modes import PYWT_MODES as PYWT_MODES
from ._modes import SCIPY_MODES as SCIPY_MODES
from ._multi import cascade as cascade
from ._multi import dwt2_bank as dwt2_bank
from ._multi import dwt_bank as dwt_bank
from ._multi import nest as nest
from ._multi import on_low as on_low
from ._multi import wavedec_bank as wavedec_bank
from ._multidim import dwt2 as dwt2
from ._multidim import dwtn as dwtn
from ._multidim import idwt2 as idwt2
from ._multidim import idwtn as idwtn
from ._multidim import wavedec2 as wavedec2
from ._multidim import waverec2 as waverec2
from ._multilevel import wavedec as wavedec
from ._multilevel import waverec as waverec
from ._swt import iswt as iswt
from ._swt import swt as swt
from ._swt import swt_max_level as swt_max_level
from ._swt import swt_op as swt_op
from ._upfirdn import decimate as decimate
from ._upfirdn import firwin_lowpass as firwin_lowpass
from ._upfirdn import resample_poly as resample_poly
from ._upfirdn import resample_poly_op as resample_poly_op
from ._upfirdn import upfirdn as upfirdn
from ._upfirdn import upfirdn_length as upfirdn_length
from ._upfirdn import upfirdn_op as upfirdn_op
from ._wavelet import Wavelet as Wavelet
from ._wavelet import dwt_length as dwt_length
from ._wavelet import dwt_max_level as dwt_max_level
from ._wavelet import wavelet as wavelet

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
