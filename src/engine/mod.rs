//! The engine: refinement ([`refine`], writing covers with [`cover`]), its
//! proof ([`verify`]), and the one pipeline that joins them
//! ([`checked`]): nothing refine writes comes from anywhere else. [`fit`]
//! brings a refinement over its size limit under it, for `--fit`.
//! [`account`] runs that pipeline over a whole account; [`owners`] says
//! what a policy's owners leave unused together, [`resolve`] who they are,
//! and [`deployed`] which deployed policy a repository file is;
//! [`threads`] makes the pool work is spread over.

pub mod account;
pub mod checked;
pub mod cover;
pub mod deployed;
pub mod drift;
pub mod fit;
pub mod owners;
pub mod refine;
pub mod replay;
pub mod resolve;
pub mod threads;
pub mod verify;
